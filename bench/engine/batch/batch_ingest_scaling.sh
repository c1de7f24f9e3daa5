#!/usr/bin/env bash
# `specmill batch ingest` against `specmill ingest` (docs/scale-out.md): one folder of spec
# files ingested into a fresh store by the single process (the floor: no MPI at all) and under
# mpirun -np 1, 2, 4. Each row is the best of REPS wall-clock runs (the store removed between
# runs, page cache warm); every batch store's catalog rows (specobjall, every column but where
# a row points, block_id and block_row: each rank writes its own blocks) are compared with the
# single process's, so a fast wrong store cannot pass. One more run per row
# times each rank's CPU (user + system), as bench/engine/batch/batch_scaling.sh does.
#   bench/engine/batch/batch_ingest_scaling.sh INPUTS [REPS] [NPS]
# Environment: SPECMILL_BIN (default build/bin/specmill), MPIEXEC (default mpirun).
set -euo pipefail
inputs=${1:?inputs} reps=${2:-3} nps=${3:-"1 2 4"}
bin=${SPECMILL_BIN:-build/bin/specmill}
mpiexec=(${MPIEXEC:-mpirun} --allow-run-as-root --oversubscribe --bind-to none)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=$(find "$inputs" -name 'spec-*.fits' | wc -l)

before_run() { rm -rf "$work/store"; }  # each run ingests into a fresh store
# shellcheck source=bench/engine/batch/timing.sh
. "$(dirname "$0")/timing.sh"

content="context, specobjid, plate, mjd, fiberid, run2d, ra, dec, plug_ra, plug_dec, z, z_err, zwarning, class,
  subclass, sn_median_all, specprimary, spectroflux_u, spectroflux_g, spectroflux_r, spectroflux_i, spectroflux_z,
  wavemin, wavemax, programname, objtype, thing_id, lattice_start, npix, healpix"
rows() { sqlite3 -readonly "$work/store/catalog.sqlite" "SELECT $content FROM specobjall ORDER BY context, specobjid"; }

echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg); $files files"
echo "| command | ranks | seconds (best of $reps) | files/s | speed-up | CPU s, all ranks | CPU s, busiest rank | note |"
echo "|---|---|---|---|---|---|---|---|"
rate() { echo "$files $1" | awk '{printf "%.0f", $1 / $2}'; }
single=$(best "$bin" -q ingest --store "$work/store" "$inputs")
rows > "$work/ref.txt"
read -r s_all s_max <<< "$(cpu /usr/bin/time -a -o "$work/cpu.log" -f "%U %S" "$bin" -q ingest --store "$work/store" "$inputs")"
echo "| ingest | single process | $single | $(rate "$single") | 1.00 | $s_all | $s_max | floor |"
for np in $nps; do
  t=$(best "${mpiexec[@]}" -np "$np" "$bin" -q batch ingest --store "$work/store" "$inputs")
  rows | cmp -s "$work/ref.txt" - || { echo "batch ingest at -np $np stored other catalog rows" >&2; exit 1; }
  read -r c_all c_max <<< "$(cpu "${mpiexec[@]}" -np "$np" /usr/bin/time -a -o "$work/cpu.log" -f "%U %S" "$bin" -q batch ingest --store "$work/store" "$inputs")"
  note="same catalog rows"
  [ "$np" != 1 ] || note="MPI overhead $(echo "$t $single" | awk '{printf "%+.0f%%", ($1 / $2 - 1) * 100}'), same catalog rows"
  echo "| batch ingest | $np | $t | $(rate "$t") | $(echo "$single $t" | awk '{printf "%.2f", $1 / $2}') | $c_all | $c_max | $note |"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
