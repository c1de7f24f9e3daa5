#!/usr/bin/env bash
# For a machine with an NVIDIA GPU (CI has none): runs every GPU test (test names contain Cuda or
# Gpu), runs the GPU benchmarks of every bench_* program, and prints a results table last. Fails
# loudly when no GPU is visible, when a GPU test fails, or when one is SKIPPED (on a GPU machine a
# skip means the test did not see the device, which is a failure here). With a prebuilt bundle,
# where it reads each test's own output, a skip whose reason is not "no CUDA device" (a test of
# the no-device path, a case with nothing to check) is listed as not applicable instead; through
# CTest (the build mode) the reason is not seen and every skip fails.
#
# Two ways to get the programs:
#   bash scripts/gpu-check.sh              # builds here (build-gpu, SPECMILL_CUDA=ON): the GPU
#                                          # machine needs our Debian packages and a network
#   GPU_CHECK_PREBUILT=.gpu/bundle.tgz bash scripts/gpu-check.sh
#                                          # runs the programs that scripts/gpu-bundle.sh packed
#                                          # on a build machine: the GPU machine needs only its
#                                          # driver (the lent H200 has no network, no apt-get)
#   GPU_CHECK_TEST_SECONDS=150             # time limit per test program (default 600)
#   GPU_CHECK_BENCH_SECONDS=120            # time limit per benchmark program (default 300)
#   GPU_CHECK_BENCH_MIN_TIME=0.1           # --benchmark_min_time per case (default: the library's)
#   GPU_CHECK_OUT=dir                      # keeps the test log and benchmark JSON there
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

fail() { echo "gpu-check: FAIL: $*" >&2; exit 1; }

# ---------------------------------------------------------------- a GPU, or stop here
command -v nvidia-smi >/dev/null 2>&1 || fail "nvidia-smi not found: no NVIDIA driver on this machine"
gpus=$(nvidia-smi -L 2>&1) || fail "nvidia-smi sees no GPU: $gpus"
echo "$gpus" | grep -q '^GPU ' || fail "nvidia-smi lists no GPU: $gpus"
echo "$gpus"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader || true

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
gpu_regex='Cuda|Gpu'

# ---------------------------------------------------------------- the programs
if [ -n "${GPU_CHECK_PREBUILT:-}" ]; then
  bundle=$(mktemp -d)
  trap 'rm -rf "$results" "$bundle"' EXIT
  tar -C "$bundle" -xzf "$GPU_CHECK_PREBUILT" || fail "cannot unpack $GPU_CHECK_PREBUILT"
  # shellcheck disable=SC1091
  . "$bundle/paths.env"
  echo "gpu-check: prebuilt bundle $BUILT"
  export LD_LIBRARY_PATH="$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # The programs carry the absolute paths they were built with (the shared data, the test
  # cache in the build tree, the source tree, the specmill CLI): make each exist here.
  if [ ! -e "$SOURCE_DIR" ]; then
    mkdir -p "$SOURCE_DIR"
    for f in "$PWD"/* "$PWD"/.[!.]*; do ln -s "$f" "$SOURCE_DIR/$(basename "$f")"; done
  fi
  [ -e "$SHARED_DATA" ] || { mkdir -p "$(dirname "$SHARED_DATA")" && ln -s "$bundle/shared/data" "$SHARED_DATA"; }
  mkdir -p "$BUILD_DIR/bin" "$BUILD_DIR/test-cache"
  # Never over a real build's programs (where this machine built them too).
  for f in "$bundle"/bin/*; do [ -e "$BUILD_DIR/bin/$(basename "$f")" ] || ln -sfn "$f" "$BUILD_DIR/bin/$(basename "$f")"; done
  bin_dir="$bundle/bin"
else
  bash scripts/install-deps.sh || fail "install-deps failed"
  jobs=${SPECMILL_JOBS:-$(nproc)}
  cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DSPECMILL_CUDA=ON || fail "configure failed"
  cmake --build build-gpu -j"$jobs" || fail "build failed"
  bin_dir=build-gpu/bin
fi

# ---------------------------------------------------------------- tests
if [ -n "${GPU_CHECK_PREBUILT:-}" ]; then
  # No CTest tree here: each test program runs its GPU tests itself. A program that dies
  # mid-test is run again without the tests already decided, the one it died in counted failed.
  ctest_rc=0
  : >"$results/tests.txt"
  for exe in "$bin_dir"/tests_*; do
    suite=$(basename "$exe"); suite=${suite#tests_}
    exclude=""
    for _ in 1 2 3 4 5 6 7 8; do
      (cd "$BUILD_DIR" && timeout "${GPU_CHECK_TEST_SECONDS:-600}" "$exe" --gtest_filter="*Cuda*:*Gpu*${exclude:+-$exclude}" 2>&1) \
        | tee -a "$results/ctest.log" >"$results/run.log"
      rc=${PIPESTATUS[0]}
      # "[       OK ] Suite.Name (12 ms)", "[  SKIPPED ] ... (0 ms)", "[  FAILED  ] ... (3 ms)"
      sed -nE 's/^\[ +(OK|FAILED|SKIPPED) +\] ([^ ]+)( \(|, where).* \([0-9]+ ms\)$/\2 \1/p; s/^\[ +(OK|FAILED|SKIPPED) +\] ([^ ]+) \([0-9]+ ms\)$/\2 \1/p' \
        "$results/run.log" | sort -u >"$results/decided.txt"
      # A skip is a failure here only when the test did not see the device ("no CUDA device");
      # a test of the no-device path ("a CUDA device is present") or a case with nothing to
      # check skips by design and is listed as NotApplicable.
      awk '/^\[ RUN +\]/ {name = $NF} /: Skipped$/ {getline why; if (why !~ /no CUDA device/) print name}' \
        "$results/run.log" >"$results/by-design.txt"
      sed -E "s/^/$suite./; s/ OK$/ Passed/; s/ FAILED$/ Failed/; s/ SKIPPED$/ Skipped/" "$results/decided.txt" |
        awk -v s="$suite." -v f="$results/by-design.txt" 'BEGIN {while ((getline l < f) > 0) d[s l]}
          $2 == "Skipped" && ($1 in d) {$2 = "NotApplicable"} {print}' >>"$results/tests.txt"
      [ "$rc" -eq 0 ] && break
      ctest_rc=1
      started=$(sed -nE 's/^\[ RUN +\] ([^ ]+)$/\1/p' "$results/run.log" | tail -1)
      # Ordinary failures are decided and listed: nothing is left to run.
      [ -n "$started" ] && ! grep -q "^$started " "$results/decided.txt" || break
      echo "$suite.$started Failed(crashed:rc=$rc)" >>"$results/tests.txt"
      echo "$started crashed" >>"$results/decided.txt"
      exclude="${exclude:+$exclude:}$(cut -d' ' -f1 "$results/decided.txt" | paste -sd:)"
    done
  done
  sed -i 's/ Failed(crashed:rc=[0-9]*)$/ Failed/' "$results/tests.txt"
else
  (cd build-gpu && ctest -R "$gpu_regex" --timeout 600 --output-on-failure) 2>&1 | tee "$results/ctest.log"
  ctest_rc=${PIPESTATUS[0]}
  # "  3/40 Test  #3: kernels.DeviceBufferCuda.RoundTrip ....   Passed    0.2 sec"
  # "  4/40 Test  #4: kernels.X ....***Skipped   0.0 sec", "***Failed", "***Exception: ...", "***Timeout"
  sed -nE 's/^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: ([^ ]+).*(Passed|\*\*\*Failed|\*\*\*Skipped|\*\*\*Exception|\*\*\*Timeout|\*\*\*Not Run).*/\1 \2/p' \
    "$results/ctest.log" | sed 's/\*\*\*//' >"$results/tests.txt"
fi
n_tests=$(wc -l <"$results/tests.txt")
n_passed=$(grep -c ' Passed$' "$results/tests.txt")
n_skipped=$(grep -c ' Skipped$' "$results/tests.txt")
n_na=$(grep -c ' NotApplicable$' "$results/tests.txt")
n_failed=$((n_tests - n_passed - n_skipped - n_na))

# ---------------------------------------------------------------- benchmarks
bench_limit=${GPU_CHECK_BENCH_SECONDS:-300}
bench_bad=0
shopt -s nullglob
for exe in "$bin_dir"/bench_*; do
  [ -x "$exe" ] || continue
  name=$(basename "$exe")
  if ! "$exe" --benchmark_list_tests 2>/dev/null | grep -qE "$gpu_regex"; then
    echo "gpu-check: $name has no GPU benchmarks"
    continue
  fi
  echo "gpu-check: running $name (GPU benchmarks and their floors, limit ${bench_limit}s)"
  # Floors run too (device floors carry Cuda in their names, host ones Floor), so each GPU
  # figure has its floor from the same run beside it.
  min_time=()
  [ -n "${GPU_CHECK_BENCH_MIN_TIME:-}" ] && min_time=(--benchmark_min_time="$GPU_CHECK_BENCH_MIN_TIME")
  if ! timeout "$bench_limit" "$exe" --benchmark_filter="$gpu_regex|Floor" "${min_time[@]}" \
      --benchmark_out="$results/$name.json" --benchmark_out_format=json; then
    echo "gpu-check: $name failed or ran past ${bench_limit}s" >&2
    bench_bad=1
  fi
done

# ---------------------------------------------------------------- the table, last
verdict=()
[ "$n_tests" -gt 0 ] || verdict+=("no GPU tests matched '$gpu_regex'")
[ "$ctest_rc" -eq 0 ] && [ "$n_failed" -eq 0 ] || verdict+=("GPU tests failed")
[ "$n_skipped" -eq 0 ] || verdict+=("$n_skipped GPU tests SKIPPED on a GPU machine")
if [ -n "${GPU_CHECK_OUT:-}" ]; then
  mkdir -p "$GPU_CHECK_OUT" && cp "$results"/tests.txt "$results"/ctest.log "$results"/bench_*.json "$GPU_CHECK_OUT"/ 2>/dev/null
fi
echo
echo "================================ gpu-check results ================================"
# Per suite, then every test that did not pass by name (the whole list: tests.txt under
# GPU_CHECK_OUT; a full list of some 300 names would push the benchmarks out of a short tail).
printf '%-24s %8s %8s %8s %8s %8s\n' "SUITE" "RUN" "PASSED" "FAILED" "SKIPPED" "N/A"
awk '{split($1, p, "."); s = p[1]; n[s]++; if ($2 == "Passed") ok[s]++; else if ($2 == "Skipped") sk[s]++; else if ($2 == "NotApplicable") na[s]++; else bad[s]++}
     END {for (s in n) printf "%-24s %8d %8d %8d %8d %8d\n", s, n[s], ok[s], bad[s], sk[s], na[s]}' "$results/tests.txt" | sort
grep -v ' Passed$' "$results/tests.txt" | while read -r t r; do printf '%-90s %s\n' "$t" "$r"; done
echo "tests: $n_tests run, $n_passed passed, $n_failed failed, $n_skipped skipped, $n_na not applicable on a GPU (skipped by design)"
echo
bench_json=("$results"/bench_*.json)
if [ ${#bench_json[@]} -gt 0 ]; then
  /usr/bin/python3 - "${bench_json[@]}" <<'PY' || bench_bad=1
import json, sys
print(f"{'BENCHMARK':<60} {'GB/s':>9} {'Gitems/s':>9} {'spectra/s':>12}  NOTE")
bad = 0
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            data = json.load(f)
    except ValueError:  # a program stopped at its time limit leaves its JSON unfinished
        bad = 1
        print(f"{path.rsplit('/', 1)[-1]:<60} {'-':>9} {'-':>9} {'-':>12}  ERROR: output cut short (time limit?)")
        continue
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            bad = 1
            print(f"{b['name']:<60} {'-':>9} {'-':>9} {'-':>12}  ERROR: {b.get('error_message', '')}")
            continue
        gbs = b.get("bytes_per_second", 0) / 1e9
        items = b.get("items_per_second", 0) / 1e9
        spectra = b.get("spectra/s", 0)
        print(f"{b['name']:<60} {gbs:9.1f} {items:9.2f} {spectra:12.4g}")
sys.exit(bad)
PY
else
  echo "benchmarks: none ran"
fi
[ "$bench_bad" -eq 0 ] || verdict+=("a GPU benchmark failed or ran too long")
echo "==================================================================================="
if [ ${#verdict[@]} -eq 0 ]; then
  echo "gpu-check: OK"
  exit 0
fi
for v in "${verdict[@]}"; do echo "gpu-check: FAIL: $v" >&2; done
exit 1

