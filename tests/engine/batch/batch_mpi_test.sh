#!/usr/bin/env bash
# The MPI batch tests (CTest labels mpi; registered in tests/CMakeLists.txt when MPI is found):
#   batch_mpi_test.sh setup            stores and the single-process reference outputs
#   batch_mpi_test.sh equal NP GROUP   every case of GROUP (batch_cases.sh) under mpirun -np NP
#                                      (NP 0: the plain binary, no mpirun: one rank): the output
#                                      must equal the reference byte for byte
#   batch_mpi_test.sh span NP          `batch span` under mpirun -np NP prints what `specmill span`
#                                      prints, for lists of one and several blocks, unknown and
#                                      repeated IDs, a list where only one rank's share is found,
#                                      and one with nothing found (the same error and exit code);
#                                      an unknown context ends the job with span's exit code
#   batch_mpi_test.sh abort HOW        one rank of 4 made to fail mid-job (HOW: throw, or kill:
#                                      SIGKILL): the job must end within 20 s, non-zero, naming
#                                      the rank, and leave no output
# Environment: SPECMILL_BIN, SPECMILL_SHARED_DATA, BATCH_TEST_DIR (work folder), MPIEXEC.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/batch_cases.sh"
bin=${SPECMILL_BIN:?}
data=${SPECMILL_SHARED_DATA:?}
dir=${BATCH_TEST_DIR:?}
mpiexec=(${MPIEXEC:-mpirun} --allow-run-as-root --oversubscribe)

store_of() { [ "$1" = SAMPLE ] && echo "$dir/sample-store" || echo "$dir/real-store"; }
ids_of() { case "$1" in SAMPLE) echo "$dir/sample-ids.txt" ;; MIXED) echo "$dir/mixed-ids.txt" ;; *) echo "$dir/real-ids.txt" ;; esac; }
ext_of() { # kind name options...
  case "$1" in
  photometry) echo csv ;;
  image) [[ "$2" == *_npy ]] && echo npy || echo png ;;
  get) case " $* " in *" --format fits "*) echo fits ;; *" --format hdf5 "*) echo h5 ;; *" --format csv "*) echo csv ;;
       *" --format npy "*) echo npy ;; *) echo npz ;; esac ;;
  *) [[ " $* " == *" --format csv "* ]] && echo csv || echo npz ;;
  esac
}

case "${1:-}" in
setup)
  rm -rf "$dir" && mkdir -p "$dir/ref"
  "$bin" -q ingest --store "$dir/real-store" --block-size 3 "$data/spectra"
  ls "$data/spectra" | sed -n 's/^spec-\(.*\)\.fits$/\1/p' > "$dir/real-ids.txt"
  { cat "$dir/real-ids.txt"; echo "1234,55555,1"; tac "$dir/real-ids.txt"; } > "$dir/mixed-ids.txt"
  "$bin" -q sample --out "$dir/sample" --count 600 --seed 7
  "$bin" -q ingest --store "$dir/sample-store" --block-size 64 "$dir/sample"
  find "$dir/sample" -name 'spec-*.fits' | sed 's|.*/spec-||; s|\.fits$||' | sort > "$dir/sample-ids.txt"
  [ "$(wc -l < "$dir/sample-ids.txt")" = 600 ] || { echo "setup: expected 600 sample IDs"; exit 1; }
  rm -rf "$dir/sample"  # the store holds the pixels now
  batch_cases | while read -r kind group name st opts; do
    "$bin" -q "$kind" --store "$(store_of "$st")" --ids "$(ids_of "$st")" $opts \
      --out "$dir/ref/$name.$(ext_of "$kind" "$name" $opts)"
  done
  # The references must not be trivially alike: the four methods give four different stacks.
  for a in weighted mean median clipped; do for b in weighted mean median clipped; do
    [ "$a" = "$b" ] || ! cmp -s "$dir/ref/$a.npz" "$dir/ref/$b.npz" || { echo "setup: $a and $b stacks are equal"; exit 1; }
  done; done
  echo "setup: $(ls "$dir/ref" | wc -l) reference outputs"
  ;;
equal)
  np=$2 group=$3 out="$dir/np$2" failed=0 count=0
  mkdir -p "$out"
  runner=("${mpiexec[@]}" -np "$np")
  [ "$np" != 0 ] || runner=()
  while read -r k g name st opts; do
    [ "$g" = "$group" ] || continue
    f="$name.$(ext_of "$k" "$name" $opts)"
    rm -f "$out/$f"
    "${runner[@]}" "$bin" -q batch "$k" --store "$(store_of "$st")" --ids "$(ids_of "$st")" $opts \
      --out "$out/$f" < /dev/null
    if cmp "$dir/ref/$f" "$out/$f"; then count=$((count + 1)); else echo "DIFFERENT: $k $name at -np $np"; failed=1; fi
  done < <(batch_cases)
  [ "$count" -gt 0 ] || [ "$failed" = 1 ] || { echo "no case in group $group"; exit 1; }
  echo "equal: $count $group cases byte-identical at -np $np"
  exit $failed
  ;;
abort)
  how=$2 log="$dir/abort-$2.log" out="$dir/abort-$2.npz"
  rm -f "$out"
  start=$SECONDS rc=0
  SPECMILL_BATCH_TEST_FAIL="1:$how" timeout 60 "${mpiexec[@]}" -np 4 "$bin" batch stack \
    --store "$dir/sample-store" --ids "$dir/sample-ids.txt" --method median --memory 1 --out "$out" \
    < /dev/null > "$log" 2>&1 || rc=$?
  took=$((SECONDS - start))
  cat "$log"
  [ "$rc" != 0 ] || { echo "abort: the job exited 0"; exit 1; }
  [ "$rc" != 124 ] || { echo "abort: the job hung (killed by timeout after 60 s)"; exit 1; }
  [ "$took" -le 20 ] || { echo "abort: the job took $took s to end"; exit 1; }
  [ ! -e "$out" ] || { echo "abort: an output was written"; exit 1; }
  if [ "$how" = throw ]; then
    grep -q "rank 1 of 4 failed, ending the job: SPECMILL_BATCH_TEST_FAIL" "$log" || { echo "abort: no rank/reason line"; exit 1; }
  else
    grep -q "rank 1 .*signal 9" "$log" || { echo "abort: mpirun did not name the killed rank"; exit 1; }
  fi
  echo "abort ($how): ended in $took s with exit $rc"
  ;;
span)
  np=$2 out="$dir/span-np$2" failed=0 count=0
  mkdir -p "$out"
  runner=("${mpiexec[@]}" -np "$np")
  [ "$np" != 0 ] || runner=()
  # Three unknown IDs before one sample ID: at -np 4 only the last rank's share is found.
  { echo "1234,55555,1"; echo "1234,55555,2"; echo "1234,55555,3"; head -1 "$dir/sample-ids.txt"; } > "$out/last-only.txt"
  { echo "1234,55555,1"; echo "1234,55555,2"; } > "$out/none.txt"
  # name store list
  while read -r name st ids; do
    rc_ref=0 rc=0
    "$bin" -q span --store "$(store_of "$st")" --ids "$ids" > "$out/$name.ref" 2> "$out/$name.ref.err" || rc_ref=$?
    "${runner[@]}" "$bin" -q batch span --store "$(store_of "$st")" --ids "$ids" < /dev/null \
      > "$out/$name.json" 2> "$out/$name.err" || rc=$?
    # The error lines as one process words them (the ranks' logs carry a "[rank r/N] " prefix;
    # mpirun adds its own note on the exit code, not ours to compare).
    grep '^error: ' "$out/$name.ref.err" > "$out/$name.ref.errlines" || true
    sed -E 's/\[rank [0-9]+\/[0-9]+\] //' "$out/$name.err" | { grep '^error: ' || true; } > "$out/$name.errlines"
    if [ "$rc" = "$rc_ref" ] && cmp "$out/$name.ref" "$out/$name.json" && cmp "$out/$name.ref.errlines" "$out/$name.errlines"; then
      count=$((count + 1))
    else
      echo "DIFFERENT: span $name at -np $np (exit $rc, one process $rc_ref)"; cat "$out/$name.err"; failed=1
    fi
  done <<LISTS
real REAL $dir/real-ids.txt
sample SAMPLE $dir/sample-ids.txt
mixed MIXED $dir/mixed-ids.txt
last_only SAMPLE $out/last-only.txt
none REAL $out/none.txt
LISTS
  # The cases must not be trivially alike: a found span, and the error of the empty one.
  grep -q '"found":600}' "$out/sample.json" || { echo "span: the sample list's span does not count 600 found"; failed=1; }
  grep -q '"found":1}' "$out/last_only.json" || { echo "span: the last-only list does not count 1 found"; failed=1; }
  cmp -s "$out/real.json" "$out/sample.json" && { echo "span: real and sample spans are equal"; failed=1; }
  [ ! -s "$out/none.json" ] && grep -q "none of the 2 IDs has pixel data" "$out/none.errlines" \
    || { echo "span: the empty list printed a span or no error"; failed=1; }
  # An unknown context fails every rank before any collective: the job ends (MPI_Abort at
  # -np > 1) with the single process's exit code and reason.
  rc_ref=0 rc=0
  "$bin" -q span --store "$dir/real-store" --context nope --ids "$dir/real-ids.txt" 2> "$out/context.ref.err" || rc_ref=$?
  timeout 60 "${runner[@]}" "$bin" -q batch span --store "$dir/real-store" --context nope --ids "$dir/real-ids.txt" \
    < /dev/null > "$out/context.json" 2> "$out/context.err" || rc=$?
  reason=$(sed -n 's/^error: //p' "$out/context.ref.err" | head -1)
  { [ "$rc_ref" = 2 ] && [ "$rc" = 2 ] && [ -n "$reason" ] && grep -qF "$reason" "$out/context.err" && [ ! -s "$out/context.json" ]; } \
    || { echo "DIFFERENT: span with an unknown context at -np $np (exit $rc, one process $rc_ref)"; cat "$out/context.err"; failed=1; }
  echo "span: $count lists the same at -np $np, and the unknown context's exit and reason"
  exit $failed
  ;;
*)
  echo "usage: $0 setup | equal NP GROUP | span NP | abort throw|kill" >&2
  exit 2
  ;;
esac
