#!/usr/bin/env bash
# Installs every dependency, configures, builds (out of tree, in build/) and runs every test:
# the GoogleTest suites and the Python interoperability tests, all through CTest.
#
#   scripts/test.sh              the normal suite (what .ci/run runs), then a short fuzz pass
#                                (scripts/fuzz.sh, 10 s a target; SKIPPED without clang/libFuzzer;
#                                SPECMILL_CI_FUZZ_SECONDS=0 turns it off)
#   scripts/test.sh --sanitize   only the C++ suites (core, io, kernels, engine, api) built with
#                                ASan + UBSan (CMakePresets.json "asan", g++, CUDA off) in
#                                build-asan/; the Python tests are not run there
# SPECMILL_CI_SANITIZE_SUITES=1 runs, after the fuzz pass, the core, io, kernels and engine suites
#                                under clang's ASan + UBSan in the fuzz build (build-fuzz/: every
#                                library object is instrumented there already, so only the test
#                                files compile). .ci/run sets it. It is held to a time budget,
#                                SPECMILL_SANITIZE_BUDGET_MIN (default 45): when the run so far
#                                leaves less than it, only the io and engine suites run (the
#                                issue's fallback); with under a third of it, none, said loudly.
# SPECMILL_CI_SANITIZE=1 adds the g++ sanitizer suite (--sanitize) after the normal one.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${SPECMILL_JOBS:-$(nproc)}

sanitizer_env() {
  # Leaks are reported (detect_leaks) but CFITSIO/HDF5 keep process-lifetime caches, so only
  # ours count: see scripts/lsan.supp. halt_on_error: the first finding fails the test.
  export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0"
  export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
}

# The C++ suites of build dir $1 under the sanitizers. OpenMPI's MPI_Init keeps allocations for
# the life of the process in components it dlopen()s, whose frames LeakSanitizer cannot unwind
# (so no suppression matches them): the tests that start MPI (the communicator's, and the batch
# ingest's one-rank engine test) run with leak checking off, every other check on.
run_sanitized_suites() {
  local mpi='^(io\.communicator|engine\.BatchIngestRanks)\.'
  (cd "$1" && ctest --output-on-failure -j"$jobs" --timeout 1800 -R "^($2)\." -E "$mpi")
  (cd "$1" && ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" ctest --output-on-failure -R "$mpi")
}

# The core, io, kernels and engine suites in the fuzz build (after scripts/fuzz.sh built it):
# its libraries already carry ASan + UBSan (clang), so this costs the test files' compilation.
sanitize_in_fuzz_build() {
  sanitizer_env
  # CI's limit is 90 min; what this script has used so far decides how much of the suite fits.
  local budget=$(( ${SPECMILL_SANITIZE_BUDGET_MIN:-45} * 60 )) left=$(( 85 * 60 - SECONDS ))
  local suites='core|io|kernels|engine' targets=(tests_core tests_io tests_kernels tests_engine)
  if [ "$left" -lt $(( budget / 3 )) ]; then
    echo "sanitized suites: NOT RUN: $((SECONDS / 60)) min used of CI's 90, under $((budget / 180)) min left for them"
    return 0
  elif [ "$left" -lt "$budget" ]; then
    suites='io|engine' targets=(tests_io tests_engine)
    echo "sanitized suites: $((SECONDS / 60)) min used, $((left / 60)) min left: the io and engine suites only"
  fi
  local t0=$SECONDS
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  cmake --preset fuzz "${launcher[@]}" -DSPECMILL_BUILD_TESTS=ON >/dev/null
  cmake --build build-fuzz -j"$jobs" --target "${targets[@]}"
  local t1=$SECONDS
  run_sanitized_suites build-fuzz "$suites"
  echo "sanitized suites ($suites; clang ASan+UBSan, build-fuzz): build $((t1 - t0)) s, run $((SECONDS - t1)) s"
}

sanitize_suite() {
  sanitizer_env
  local t0=$SECONDS
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  cmake --preset asan "${launcher[@]}"
  cmake --build build-asan -j"$jobs" --target specmill tests_core tests_io tests_kernels tests_engine tests_api
  local t1=$SECONDS
  run_sanitized_suites build-asan 'core|io|kernels|engine|api'
  echo "test.sh --sanitize: build $((t1 - t0)) s, run $((SECONDS - t1)) s"
}

bash scripts/install-deps.sh
if [ "${1:-}" = "--sanitize" ]; then
  sanitize_suite
  exit 0
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs" --timeout 900)

if [ "${SPECMILL_CI_FUZZ_SECONDS:-10}" != 0 ]; then
  # fuzz.sh exits 77 when clang/libFuzzer is missing: reported as SKIPPED, not a failure.
  rc=0
  bash scripts/fuzz.sh "${SPECMILL_CI_FUZZ_SECONDS:-10}" || rc=$?
  if [ "$rc" = 77 ]; then
    echo "fuzz: SKIPPED (no clang with libFuzzer)"
  elif [ "$rc" != 0 ]; then
    exit "$rc"
  elif [ "${SPECMILL_CI_SANITIZE_SUITES:-0}" != 0 ]; then
    sanitize_in_fuzz_build
  fi
fi
if [ "${SPECMILL_CI_SANITIZE:-0}" = 1 ]; then
  sanitize_suite
fi
