# Timing helpers of the batch scaling scripts (sourced, not run): batch_scaling.sh and
# batch_ingest_scaling.sh. The caller sets $reps and $work, and may define before_run (called
# before every run, timed or not: e.g. removing the store an ingest writes).
declare -F before_run >/dev/null || before_run() { :; }

best() {  # best wall seconds of $reps runs of "$@"
  local b=
  for _ in $(seq "$reps"); do
    before_run
    local t0 t1
    t0=$(date +%s.%N)
    "$@" < /dev/null > /dev/null 2>&1
    t1=$(date +%s.%N)
    b=$(echo "$t0 $t1 ${b:-inf}" | awk '{d = $2 - $1; print ($3 == "inf" || d < $3) ? d : $3}')
  done
  echo "$b"
}

cpu() {  # "sum max" CPU seconds over the ranks (or the one process) of one run of "$@", which
         # must append "user system" lines to $work/cpu.log (/usr/bin/time -a -o ... -f "%U %S")
  before_run
  rm -f "$work/cpu.log"
  "$@" < /dev/null > /dev/null 2>&1
  awk '{v = $1 + $2; s += v; if (v > m) m = v} END {printf "%.2f %.2f", s, m}' "$work/cpu.log"
}
