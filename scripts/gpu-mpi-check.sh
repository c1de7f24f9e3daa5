#!/usr/bin/env bash
# One GPU per MPI rank on a GPU machine: `mpirun -np N specmill batch stack|photometry --device cuda`
# against one process on the device and against the CPU, on a 2,000-spectrum sample, each timed.
# Needs .gpu/bundle.tgz (scripts/gpu-bundle.sh) and .gpu/mpi.tgz (scripts/gpu-mpi-bundle.sh):
#   bash scripts/gpu-mpi-check.sh            # on the GPU machine, in a copy of this tree
#   DEV=cpu bash scripts/gpu-mpi-check.sh    # here, to check the script itself
# Prints, per stack method, whether np 2 equals one process byte for byte and how far the device is
# from the CPU (max relative difference; medians and means are expected to be the same bits).
set -uo pipefail
cd "$(dirname "$0")/.."
DEV=${DEV:-cuda}
T=$(mktemp -d); trap "rm -rf $T" EXIT; tar -C $T -xzf .gpu/bundle.tgz && tar -C $T -xzf .gpu/mpi.tgz || { echo "gpu-mpi-check: unpack failed"; exit 1; }
R=$T/root/usr/lib/x86_64-linux-gnu
# Nothing is written outside $T. The H200's image has another Open MPI's plugins at the Debian
# path (found 2026-12-04: orterun died on their PMIx symbols): every plugin comes from the bundle.
export OMPI_MCA_mca_base_component_path=$R/openmpi/lib/openmpi3 PMIX_MCA_mca_base_component_path=$R/pmix2/lib/pmix
export OPAL_PKGDATADIR=$T/root/usr/share/openmpi
export LD_LIBRARY_PATH=$T/lib:$T/mpilib:$R/pmix2/lib OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1 OMPI_MCA_btl_vader_single_copy_mechanism=none
bin=$T/bin/specmill W=$T/w; mkdir -p $W
mpi=(timeout 180 $T/root/usr/bin/orterun --allow-run-as-root --oversubscribe -x LD_LIBRARY_PATH -np)
$bin -q sample --out $W/sample --count 2000 --seed 7 && $bin -q ingest --store $W/st --block-size 256 $W/sample || { echo "gpu-mpi-check: sample/ingest failed"; exit 1; }
find $W/sample -name 'spec-*.fits' | sed 's|.*/spec-||; s|\.fits$||' | sort > $W/ids.txt
echo "gpu-mpi-check: $(wc -l < $W/ids.txt) ids; orterun: $($T/root/usr/bin/orterun --version 2>&1 | head -1)"
"${mpi[@]}" 2 --allow-run-as-root hostname 2>&1 | head -3
cmpnpz() { python3 - "$@" <<'PY'
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
worst = 0.0
for k in a.files:
    x, y = np.asarray(a[k], dtype=np.float64), np.asarray(b[k], dtype=np.float64)
    if x.shape != y.shape: print(f"  {k}: shape {x.shape} vs {y.shape}"); worst = np.inf; continue
    m = np.isfinite(x) & np.isfinite(y)
    if not np.array_equal(np.isnan(x), np.isnan(y)): print(f"  {k}: NaN pattern differs"); worst = np.inf
    d = np.abs(x[m] - y[m]) / np.maximum(np.abs(x[m]), 1e-30)
    if d.size: worst = max(worst, float(d.max()))
print(f"  max relative difference {worst:.3g} over {len(a.files)} arrays")
PY
}
for m in median weighted_mean mean clipped_mean; do
  o="--store $W/st --ids $W/ids.txt --method $m --memory 64"
  TIMEFORMAT="  $m cpu %R s"; time $bin -q stack $o --device cpu --out $W/cpu-$m.npz
  TIMEFORMAT="  $m $DEV %R s"; time { $bin -q stack $o --device $DEV --out $W/cuda-$m.npz; rc1=$?; }
  TIMEFORMAT="  $m np2 $DEV %R s"; time { "${mpi[@]}" 2 $bin -q batch stack $o --device $DEV --out $W/np2-$m.npz > $W/np2-$m.log 2>&1; rc2=$?; }
  echo "stack $m: one process $DEV rc=$rc1, np 2 $DEV rc=$rc2"; [ $rc2 -eq 0 ] || tail -5 $W/np2-$m.log
  cmp -s $W/cuda-$m.npz $W/np2-$m.npz && echo "  np2 $DEV == one-process $DEV, byte for byte" || { echo "  np2 $DEV vs one-process $DEV:"; cmpnpz $W/cuda-$m.npz $W/np2-$m.npz; }
  cmp -s $W/cpu-$m.npz $W/cuda-$m.npz && echo "  $DEV == cpu, byte for byte" || { echo "  $DEV vs cpu:"; cmpnpz $W/cpu-$m.npz $W/cuda-$m.npz; }
done
o="--store $W/st --ids $W/ids.txt --filters sdss2010-g,sdss2010-r,sdss2010-i"
$bin -q photometry $o --device $DEV --out $W/cuda.csv; "${mpi[@]}" 4 $bin -q batch photometry $o --device $DEV --out $W/np4.csv > $W/np4.log 2>&1; echo "photometry np 4 $DEV rc=$?"
cmp -s $W/cuda.csv $W/np4.csv && echo "  np4 $DEV == one-process $DEV csv, byte for byte" || { echo "  csv differ"; tail -3 $W/np4.log; }
