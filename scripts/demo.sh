#!/usr/bin/env bash
# The specmill demo, from a fresh machine: installs dependencies, builds, writes synthetic SDSS
# spec-lite files, ingests them (and the real SDSS files in ../shared/data when present) into a
# store, verifies it, reads spectra back, and prints where everything is.
#   DEMO_OUT=dir   where to put it all (default: demo-out/)
#   DEMO_COUNT=N   synthetic spectra (default: 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
out=${DEMO_OUT:-$repo/demo-out}
count=${DEMO_COUNT:-5000}
jobs=${SPECMILL_JOBS:-$(nproc)}

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs" --target specmill
bin=build/bin/specmill

mkdir -p "$out"
echo "== 1. synthetic SDSS spec-lite files (both eras) -> $out/sample"
"$bin" sample --out "$out/sample" --count "$count" --seed 42

echo "== 2. ingest -> $out/store"
rm -rf "$out/store"
"$bin" ingest --store "$out/store" --context sdss_dr16 --catalog "$out/sample/specObj-sample.fits" "$out/sample"
if [ -d ../shared/data/spectra ]; then
  echo "== 2b. ingest the real SDSS files of ../shared/data/spectra (legacy, BOSS, eBOSS)"
  "$bin" ingest --store "$out/store" --context sdss_dr16 ../shared/data/spectra
fi
echo "== 2c. ingest again: idempotent, nothing new"
"$bin" ingest --store "$out/store" --context sdss_dr16 "$out/sample"

echo "== 3. verify"
"$bin" verify --store "$out/store"
"$bin" info --store "$out/store"

echo "== 4. read back"
# (sed -n rather than head: head would close the pipe early, which pipefail reports as failure)
find "$out/sample" -name 'spec-*.fits' | sort | sed -n '1,100p' | sed -E 's#.*/spec-([0-9]+)-([0-9]+)-([0-9]+)\.fits#\1,\2,\3#' > "$out/ids.txt"
if [ -d ../shared/data/spectra ]; then printf '266,51602,13\n10546452441867767808\n' >> "$out/ids.txt"; fi
"$bin" get --store "$out/store" --ids "$out/ids.txt" --out "$out/spectra.npz"
"$bin" get --store "$out/store" --ids "$out/ids.txt" --columns flux,ivar --out "$out/spectra.fits"

echo "== 5. the main job: aligned getSpec, a cutout, rest-frame resampling, photometry"
"$bin" get --store "$out/store" --ids "$out/ids.txt" --align --out "$out/aligned.npz"
"$bin" get --store "$out/store" --ids "$out/ids.txt" --cutout 6500-6600 --columns flux --out "$out/cutout.npy"
"$bin" get --store "$out/store" --ids "$out/ids.txt" --resample log:3.0,3.95,1e-4 --rest-frame --out "$out/rest.h5"
"$bin" photometry --store "$out/store" --ids "$out/ids.txt" --out "$out/photometry.csv"
echo "== 5b. query: quasars at z > 2 within 15 degrees of (180, 30) -> get"
"$bin" query --store "$out/store" --cone 180,30,15 --constraint "class = 'QSO' AND z > 2" --with-pixels \
  --fields tuple --out "$out/query-ids.txt"
if [ -s "$out/query-ids.txt" ]; then
  "$bin" get --store "$out/store" --ids "$out/query-ids.txt" --out "$out/query.npz"
else
  echo "(no match with DEMO_COUNT=$count)"
fi

cat <<TXT

Results:
  synthetic spec files   $out/sample  (<run2d>/spectra/lite/<plate>/spec-*.fits, specObj-sample.fits)
  store                  $out/store   (catalog.sqlite + blocks/*.h5; docs/store-format.md)
  spectra (npz)          $out/spectra.npz   numpy.load(): flux, loglam, ..., offsets, specobjid, found
  spectra (fits)         $out/spectra.fits  one row per spectrum, variable-length columns
  aligned (npz)          $out/aligned.npz   flux/ivar/and_mask [n, pixels] on the list's lattice, loglam, wavelength
  cutout (npy)           $out/cutout.npy    flux [n, pixels] for 6500-6600 A
  rest frame (hdf5)      $out/rest.h5       resampled onto log:3.0,3.95,1e-4 at each spectrum's z
  photometry (csv)       $out/photometry.csv  ugriz nanomaggies and AB magnitudes
  query result           $out/query-ids.txt (plate,mjd,fiberid), $out/query.npz; docs/query.md
Try: $bin get --store $out/store --ids $out/ids.txt --format csv --out - | head
     $bin query --store $out/store --polygon 170,20,190,20,180,40 --format csv --limit 5
TXT

echo "== 6. the REST service on the sample store (Ctrl-C stops it)"
port=${SPECMILL_PORT:-6998}
cat <<TXT
  curl http://127.0.0.1:$port/spec/ping
  curl http://127.0.0.1:$port/spec/contexts
  curl -X POST -d 'id_list=[(266,51602,13)]' http://127.0.0.1:$port/spec/listSpan
  curl -X POST -d 'id_list=[(266,51602,13)]&align=True' http://127.0.0.1:$port/spec/getSpec -o one.npy
  curl -X POST -H 'Content-Type: application/json' -d '{"id_list": [[266, 51602, 13]], "format": "npz", "cutout": "6500-7200"}' http://127.0.0.1:$port/getSpec -o cut.npz
  curl http://127.0.0.1:$port/metrics
TXT
if [ "${SPECMILL_DEMO_SERVE:-1}" = 1 ]; then
  exec "$bin" serve --store "$out/store" --port "$port"
fi
