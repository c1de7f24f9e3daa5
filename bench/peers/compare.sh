#!/usr/bin/env bash
# Each specmill benchmark row of issue 16 and its numpy/astropy peer (bench/peers/peers.py),
# one after the other in the same run, on the same synthetic store (bench/common/
# synthetic_store.hpp; bench_stack builds it once under SPECMILL_BENCH_DIR). Prints each
# side's spectra/s, the floors (a memcpy of the input: BM_FloorMemcpy; the raw read of the
# store's block files from the page cache) and the ratio, plus the machine's load (uptime).
#   bench/peers/compare.sh [ROWS...]   ROWS among stack phot resample ingest align (default: all)
# Env: BUILD (default build), SPECMILL_BENCH_DIR, SPECMILL_SHARED_DATA (the shared data folder:
#      filter curves for phot, spec-lite files for ingest/align; required by those rows),
#      PEER_RESAMPLE_N, PEER_FILES (FITS files the ingest/align peers read, default 100).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN=$BUILD/bin
DATA=${SPECMILL_SHARED_DATA:-}
case " ${*:-phot ingest align} " in
*" phot "* | *" ingest "* | *" align "*)
  [ -n "$DATA" ] || { echo "compare.sh: set SPECMILL_SHARED_DATA for the phot, ingest and align rows" >&2; exit 2; } ;;
esac
export SPECMILL_SHARED_DATA=$DATA
BENCH_DIR=${SPECMILL_BENCH_DIR:-${TMPDIR:-/tmp}/specmill-bench}
STORE=$BENCH_DIR/store-synthetic-10000
PY=/usr/bin/python3
PEERS="$PY bench/peers/peers.py"
ROWS=${*:-stack phot resample ingest align}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

[ -e "$STORE/done" ] || "$BIN/bench_stack" --benchmark_filter='BM_FloorMemcpy/10000/' >/dev/null
$PEERS ids "$STORE" >"$WORK/ids.txt"
N=$(wc -l <"$WORK/ids.txt")
# z per ID for the rest-frame rows: uniform in [0.02, 0.3], fixed seed (the peer reads the same file)
$PY -c "import random; random.seed(3); print('\n'.join('%.5f' % random.uniform(0.02, 0.3) for _ in range($N)))" >"$WORK/z.txt"
GRID=log:3.45,3.9,1e-4

now() { date +%s.%N; }
secs() { $PY -c "print(f'{$2 - $1:.3f}')"; }
rate() { $PY -c "print(f'{$1 / $2:,.0f}')"; }
ratio() { $PY -c "print(f'{$1 / $2:.2f}x')"; }
peer_rate() { sed -n 's/.*spectra_per_s=\([0-9.]*\).*/\1/p' <<<"$1"; }
row() { printf '%-34s specmill %12s spectra/s | peer %10s spectra/s | ratio %s\n' "$1" "$2" "$3" "$4"; }

echo "== $(date -u +%FT%TZ) $(uptime)"
echo "== store: $STORE ($N spectra, $(du -sh "$STORE/blocks" | cut -f1) of blocks)"
t0=$(now); cat "$STORE"/blocks/*.h5 >/dev/null; t1=$(now)
bytes=$(cat "$STORE"/blocks/*.h5 | wc -c)
echo "floor: raw read of the block files (page cache): $(secs $t0 $t1) s, $($PY -c "print(f'{$bytes / ($t1 - $t0) / 1e9:.2f}')") GB/s"

for r in $ROWS; do
  case $r in
  stack)
    "$BIN/bench_stack" --benchmark_filter='BM_FloorMemcpy/10000/|BM_Stack/(weighted_mean|median)_cpu/10000/' \
      --benchmark_format=json --benchmark_out="$WORK/stack.json" --benchmark_out_format=json >/dev/null
    out=$($PEERS store "$STORE" median wmean)
    echo "$out"
    $PY - "$WORK/stack.json" <<PYEOF
import json, sys
b = {x["name"].split("/")[0] + "/" + x["name"].split("/")[1]: x for x in json.load(open(sys.argv[1]))["benchmarks"]}
peer = {l.split()[1]: float(l.split("spectra_per_s=")[1].split()[0]) for l in """$out""".splitlines()}
fl = b["BM_FloorMemcpy/10000"]
print(f"floor: memcpy of the input bytes: {fl['real_time']:.1f} ms, {fl['bytes_per_second'] / 1e9:.2f} GB/s")
for name, pk in (("BM_Stack/weighted_mean_cpu", "weighted_mean_numpy"), ("BM_Stack/median_cpu", "median_nanmedian")):
    x = b[name]
    print(f"{name:34s} specmill {x['items_per_second']:10,.0f} spectra/s ({x['bytes_per_second'] / 1e9:.2f} GB/s, "
          f"{x['real_time']:.0f} ms = {x['real_time'] / fl['real_time']:.2f}x the memcpy) | peer {peer[pk]:10,.0f} spectra/s"
          f" | ratio {x['items_per_second'] / peer[pk]:.2f}x")
PYEOF
    # The same stacks as one CLI process each (mapping the blocks' pages is then part of the
    # job; bench_stack's iterations after the first reuse the store's mappings, as a server does).
    for m in weighted_mean median; do
      t0=$(now)
      "$BIN/specmill" stack --store "$STORE" --ids "$WORK/ids.txt" --device cpu --method $m -o "$WORK/stack.npz" >/dev/null 2>&1
      t1=$(now)
      pk=$([ $m = median ] && echo median_nanmedian || echo weighted_mean_numpy)
      p=$(sed -n "s/.*peer $pk .*spectra_per_s=\([0-9.]*\).*/\1/p" <<<"$out")
      s=$(rate "$N" "$($PY -c "print($t1 - $t0)")")
      row "stack $m (CLI, wall)" "$s" "$p" "$(ratio "${s//,/}" "$p")"
    done
    ;;
  phot)
    t0=$(now)
    "$BIN/specmill" photometry --store "$STORE" --ids "$WORK/ids.txt" --device cpu \
      --filters sdss2010-g,sdss2010-r,sdss2010-i -o "$WORK/phot.csv"
    t1=$(now)
    out=$($PEERS store "$STORE" phot); echo "$out"
    s=$(rate "$N" "$($PY -c "print($t1 - $t0)")")
    row "photometry g,r,i (CLI, wall)" "$s" "$(peer_rate "$out")" "$(ratio "${s//,/}" "$(peer_rate "$out")")"
    ;;
  resample)
    t0=$(now)
    "$BIN/specmill" get --store "$STORE" --ids "$WORK/ids.txt" --device cpu --resample "$GRID" \
      --rest-frame --redshifts "$WORK/z.txt" -o "$WORK/resampled.npz"
    t1=$(now)
    out=$($PEERS store "$STORE" --z "$WORK/z.txt" --grid "$GRID" resample); echo "$out"
    s=$(rate "$N" "$($PY -c "print($t1 - $t0)")")
    row "rest-frame resample (CLI, wall)" "$s" "$(peer_rate "$out")" "$(ratio "${s//,/}" "$(peer_rate "$out")")"
    ;;
  ingest | align)
    # The peers read the shared real spec-lite files (cycled); the specmill side is bench_ingest's
    # 10,000 format-exact sample files when present (a separate, longer run: RESULTS.md).
    out=$($PEERS "$r" "$DATA/spectra" "${PEER_FILES:-100}"); echo "$out"
    ;;
  esac
done
echo "== end $(date -u +%FT%TZ) $(uptime)"
