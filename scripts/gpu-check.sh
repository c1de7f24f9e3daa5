#!/usr/bin/env bash
# For a machine with an NVIDIA GPU (CI has none): builds specmill with SPECMILL_CUDA=ON in
# build-gpu, runs every GPU test (test names contain Cuda or Gpu), runs the GPU benchmarks of
# every bench_* program, and prints a results table last. Fails loudly when no GPU is visible,
# when a GPU test fails, or when one is SKIPPED (on a GPU machine a skip means the test did not
# see the device, which is a failure here).
#
#   bash scripts/gpu-check.sh              # everything
#   GPU_CHECK_BENCH_SECONDS=120 bash ...   # time limit per benchmark program (default 300)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

fail() { echo "gpu-check: FAIL: $*" >&2; exit 1; }

# ---------------------------------------------------------------- a GPU, or stop here
command -v nvidia-smi >/dev/null 2>&1 || fail "nvidia-smi not found: no NVIDIA driver on this machine"
gpus=$(nvidia-smi -L 2>&1) || fail "nvidia-smi sees no GPU: $gpus"
echo "$gpus" | grep -q '^GPU ' || fail "nvidia-smi lists no GPU: $gpus"
echo "$gpus"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader || true

# ---------------------------------------------------------------- build
bash scripts/install-deps.sh || fail "install-deps failed"
jobs=${SPECMILL_JOBS:-$(nproc)}
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DSPECMILL_CUDA=ON || fail "configure failed"
cmake --build build-gpu -j"$jobs" || fail "build failed"

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# ---------------------------------------------------------------- tests
gpu_regex='Cuda|Gpu'
(cd build-gpu && ctest -R "$gpu_regex" --timeout 600 --output-on-failure) 2>&1 | tee "$results/ctest.log"
ctest_rc=${PIPESTATUS[0]}
# "  3/40 Test  #3: kernels.DeviceBufferCuda.RoundTrip ....   Passed    0.2 sec"
# "  4/40 Test  #4: kernels.X ....***Skipped   0.0 sec", "***Failed", "***Exception: ...", "***Timeout"
sed -nE 's/^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: ([^ ]+).*(Passed|\*\*\*Failed|\*\*\*Skipped|\*\*\*Exception|\*\*\*Timeout|\*\*\*Not Run).*/\1 \2/p' \
  "$results/ctest.log" | sed 's/\*\*\*//' >"$results/tests.txt"
n_tests=$(wc -l <"$results/tests.txt")
n_passed=$(grep -c ' Passed$' "$results/tests.txt")
n_skipped=$(grep -c ' Skipped$' "$results/tests.txt")
n_failed=$((n_tests - n_passed - n_skipped))

# ---------------------------------------------------------------- benchmarks
bench_limit=${GPU_CHECK_BENCH_SECONDS:-300}
bench_bad=0
shopt -s nullglob
for exe in build-gpu/bin/bench_*; do
  [ -x "$exe" ] || continue
  name=$(basename "$exe")
  if ! "$exe" --benchmark_list_tests 2>/dev/null | grep -qE "$gpu_regex"; then
    echo "gpu-check: $name has no GPU benchmarks"
    continue
  fi
  echo "gpu-check: running $name (GPU benchmarks and their floors, limit ${bench_limit}s)"
  # Floors run too (device floors carry Cuda in their names, host ones Floor), so each GPU
  # figure has its floor from the same run beside it.
  if ! timeout "$bench_limit" "$exe" --benchmark_filter="$gpu_regex|Floor" \
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
echo
echo "================================ gpu-check results ================================"
printf '%-90s %s\n' "TEST" "RESULT"
while read -r t r; do printf '%-90s %s\n' "$t" "$r"; done <"$results/tests.txt"
echo "tests: $n_tests run, $n_passed passed, $n_failed failed, $n_skipped skipped"
echo
bench_json=("$results"/bench_*.json)
if [ ${#bench_json[@]} -gt 0 ]; then
  /usr/bin/python3 - "${bench_json[@]}" <<'PY' || bench_bad=1
import json, sys
print(f"{'BENCHMARK':<60} {'GB/s':>9} {'Gitems/s':>9} {'spectra/s':>12}  NOTE")
bad = 0
for path in sys.argv[1:]:
    with open(path) as f:
        data = json.load(f)
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

