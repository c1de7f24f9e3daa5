#!/usr/bin/env bash
# Strong scaling of the MPI batch commands (docs/scale-out.md): one ID list, one store, the
# single-process command (the floor: no MPI at all) against `specmill batch` under
# mpirun -np 1, 2, 4. Each row is the best of REPS wall-clock runs; every batch output is
# compared with the single-process one (cmp), so a fast wrong answer cannot pass.
#   bench/engine/batch/batch_scaling.sh STORE IDS [REPS] [NPS]
# Environment: SPECMILL_BIN (default build/bin/specmill), MPIEXEC (default mpirun).
# Prints a Markdown table: command, ranks, seconds, speed-up over the single process, the MPI
# overhead at -np 1 (batch at one rank over the single process, minus one), and the launcher's
# own cost (mpirun -np N /bin/true, best of REPS) to read the rest against. One more run per row
# times each rank's CPU (user + system, /usr/bin/time): "CPU, all ranks" is the work including
# what MPI adds or repeats; "CPU, busiest rank" is about the wall time when every rank has its
# own cores (a cluster), which a shared 2-core machine cannot show.
set -euo pipefail
store=${1:?store} ids=${2:?ids} reps=${3:-3} nps=${4:-"1 2 4"}
bin=${SPECMILL_BIN:-build/bin/specmill}
# --bind-to none: Open MPI binds each rank to one core when np <= 2, which would hold a lone
# rank to one thread; each rank then takes its share of the cores itself (limit_rank_threads).
mpiexec=(${MPIEXEC:-mpirun} --allow-run-as-root --oversubscribe --bind-to none)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=bench/engine/batch/timing.sh
. "$(dirname "$0")/timing.sh"

echo "| command | ranks | seconds (best of $reps) | speed-up | CPU s, all ranks | CPU s, busiest rank | note |"
echo "|---|---|---|---|---|---|---|"
for np in $nps; do
  echo "| mpirun -np $np /bin/true (launcher floor) | $np | $(best "${mpiexec[@]}" -np "$np" true) | | | | |"
done
while IFS='|' read -r label kind ext opts; do
  ref="$work/ref.$ext"
  single=$(best "$bin" -q $kind --store "$store" --ids "$ids" $opts --out "$ref")
  read -r s_all s_max <<< "$(cpu /usr/bin/time -a -o "$work/cpu.log" -f "%U %S" "$bin" -q $kind --store "$store" --ids "$ids" $opts --out "$ref")"
  echo "| $label | single process | $single | 1.00 | $s_all | $s_max | floor |"
  for np in $nps; do
    out="$work/np$np.$ext"
    t=$(best "${mpiexec[@]}" -np "$np" "$bin" -q batch $kind --store "$store" --ids "$ids" $opts --out "$out")
    cmp -s "$ref" "$out" || { echo "batch $kind at -np $np differs from the single process" >&2; exit 1; }
    read -r c_all c_max <<< "$(cpu "${mpiexec[@]}" -np "$np" /usr/bin/time -a -o "$work/cpu.log" -f "%U %S" "$bin" -q batch $kind --store "$store" --ids "$ids" $opts --out "$out")"
    note="identical output"
    [ "$np" != 1 ] || note="MPI overhead $(echo "$t $single" | awk '{printf "%+.0f%%", ($1 / $2 - 1) * 100}'), identical output"
    echo "| $label | $np | $t | $(echo "$single $t" | awk '{printf "%.2f", $1 / $2}') | $c_all | $c_max | $note |"
  done
done <<'CASES'
stack weighted_mean|stack|npz|--method weighted_mean
stack median|stack|npz|--method median --memory 32
photometry 5 bands|photometry|csv|
CASES
