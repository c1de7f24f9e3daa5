#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, CMakePresets.json "fuzz": clang, ASan+UBSan, CUDA off)
# in build-fuzz/ and runs each for SECONDS seconds, one after another, on a scratch copy of its
# seed corpus (fuzz/corpus/<target>/; the repository is never written). Prints, per target,
# the executions and crashes; on a crash, leak, UB report or hang the crashing input's path.
#
#   scripts/fuzz.sh [SECONDS]                       default 60
#   SPECMILL_FUZZ_TARGETS="fuzz_id_list fuzz_config" scripts/fuzz.sh 30    a subset
#   SPECMILL_FUZZ_SCRATCH=/tmp/f scripts/fuzz.sh    where corpora, logs and crashes go
#                                                   (default: a new mktemp -d folder, kept)
# Exit status: 0 all clean; 1 a target crashed (or the build failed); 77 when clang with
# libFuzzer is not available here (scripts/test.sh reports that as SKIPPED).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=${SPECMILL_JOBS:-$(nproc)}
all_targets="fuzz_sdss_spec_reader fuzz_desi_coadd_reader fuzz_id_list fuzz_rest_params fuzz_expressions fuzz_sql_guard fuzz_config"
targets=${SPECMILL_FUZZ_TARGETS:-$all_targets}

# clang with libFuzzer (and the ASan/UBSan runtimes): compile and link a one-line target.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' > "$probe/p.cpp"
if ! command -v clang++ >/dev/null || ! command -v clang >/dev/null ||
   ! clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" >/dev/null 2>&1; then
  echo "fuzz: SKIPPED: clang++ with libFuzzer (-fsanitize=fuzzer,address,undefined) is not available"
  exit 77
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake --preset fuzz "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j"$jobs" --target $targets

scratch=${SPECMILL_FUZZ_SCRATCH:-$(mktemp -d -t specmill-fuzz.XXXXXX)}
mkdir -p "$scratch"
echo "fuzz: $seconds s a target; corpora, logs and crash inputs in $scratch"
# allocator_may_return_null: CFITSIO callocs what a header claims (TFIELDS, NAXIS2 ...) and
# handles a NULL answer as MEMORY_ALLOCATION; ASan would otherwise abort on a request above
# its 1 TB maximum. Allocations above -rss_limit_mb are still reported by libFuzzer (malloc limit).
export ASAN_OPTIONS="allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# LeakSanitizer: third-party process-lifetime caches only (scripts/lsan.supp).
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

failed=0
printf '%-24s %12s %10s %8s  %s\n' target executions exec/s crashes "crash input"
for t in $targets; do
  corpus="$scratch/corpus/$t"
  mkdir -p "$corpus" "$scratch/crashes"
  cp -r fuzz/corpus/$t/. "$corpus/"
  extra=()
  # Spec files: the seeds are ~26 KB; larger inputs only slow the mutator down.
  if [ "$t" = fuzz_sdss_spec_reader ]; then extra+=(-max_len=32768); fi
  # DESI coadds: the cut-down seed is ~104 KB (17 HDUs of 2,880-byte FITS blocks).
  if [ "$t" = fuzz_desi_coadd_reader ]; then extra+=(-max_len=131072); fi
  log="$scratch/$t.log"
  rc=0
  build-fuzz/bin/$t -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1 \
    -artifact_prefix="$scratch/crashes/$t-" "${extra[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  crash_input=$(grep -o "Test unit written to .*" "$log" | sed 's/Test unit written to //' | tail -1 || true)
  crashes=0
  if [ "$rc" != 0 ]; then
    crashes=1
    failed=1
  fi
  printf '%-24s %12s %10s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$crashes" "${crash_input:-}"
  if [ "$rc" != 0 ]; then
    echo "---- $t exited $rc; the end of $log:"
    grep -v '^#[0-9]' "$log" | tail -40
    echo "----"
  fi
done
exit $failed
