#!/usr/bin/env bash
# `specmill batch ingest` against `specmill ingest` (CTest mpi.ingest.*, registered beside the
# other batch tests in tests/CMakeLists.txt):
#   batch_ingest_test.sh setup        the inputs (the real SDSS files, 300 `specmill sample` files,
#                                     a corrupt and a truncated file, a second copy of a real file)
#                                     and the serial reference store with its observables
#   batch_ingest_test.sh equal NP     batch ingest of the same inputs under mpirun -np NP (0: the
#                                     plain binary, one rank) must store the same content: the same
#                                     summary and failure lines (but the count of blocks: each rank
#                                     writes its own), the same catalog rows but where they point
#                                     (block id and row) and the `created` times, a blocks table
#                                     that holds every stored spectrum once, verify --deep clean,
#                                     and `get` of every ID and `query` equal byte for byte. With
#                                     one rank the blocks are the serial ingest's (h5dump of each).
#   batch_ingest_test.sh abort HOW [RANK]
#                                     rank RANK (default 1; 0: the one that commits) of 2 made to
#                                     fail (throw, or kill: SIGKILL) in the second round, when it
#                                     has written its blocks and before rank 0 commits them: the
#                                     job ends within 20 s, non-zero; the store it leaves verifies,
#                                     with committed blocks and uncommitted ones (orphans); a plain
#                                     `specmill ingest` removes those, resumes, and the spectra
#                                     then equal the reference's
#   batch_ingest_test.sh desi         DESI coadds: refused with a message (exit 2) at -np 2, stored
#                                     by the plain DESI ingest with one rank
# Environment: SPECMILL_BIN, SPECMILL_SHARED_DATA, BATCH_TEST_DIR (work folder), MPIEXEC.
set -euo pipefail
bin=${SPECMILL_BIN:?}
data=${SPECMILL_SHARED_DATA:?}
dir=${BATCH_TEST_DIR:?}/ingest
mpiexec=(${MPIEXEC:-mpirun} --allow-run-as-root --oversubscribe)
block=32  # several blocks, and a block boundary inside each round

# The specobjall columns but where a row points (block_id, block_row): the content of a row.
content_columns="context, specobjid, plate, mjd, fiberid, run2d, ra, dec, plug_ra, plug_dec, z, z_err, zwarning,
  class, subclass, sn_median_all, specprimary, spectroflux_u, spectroflux_g, spectroflux_r, spectroflux_i,
  spectroflux_z, wavemin, wavemax, programname, objtype, thing_id, lattice_start, npix, healpix"

# Everything a store shows, in $2/: the catalog's tables (less the creation times; specobjall
# less the block locations in catalog.txt, with them in layout.txt), the block files' contents,
# verify --deep, every spectrum through get, the catalog through query.
observe() { # STORE OUTDIR
  local st=$1 o=$2
  rm -rf "$o" && mkdir -p "$o"
  for q in "SELECT name, description FROM contexts ORDER BY name" \
           "SELECT $content_columns FROM specobjall ORDER BY context, specobjid" \
           "SELECT * FROM ingested_files ORDER BY context, path"; do
    sqlite3 -readonly "$st/catalog.sqlite" "$q"
  done > "$o/catalog.txt"
  for q in "SELECT block_id, path, n_spectra, lattice_start, n_pixels, bytes FROM blocks ORDER BY block_id" \
           "SELECT context, specobjid, block_id, block_row FROM specobjall ORDER BY context, specobjid"; do
    sqlite3 -readonly "$st/catalog.sqlite" "$q"
  done > "$o/layout.txt"
  # Every block row holds one stored spectrum, each (block, row) pointed at once: the blocks'
  # spectra add up to the rows with pixels, no two rows share a location.
  sqlite3 -readonly "$st/catalog.sqlite" "SELECT (SELECT COALESCE(SUM(n_spectra), 0) FROM blocks),
    (SELECT COUNT(DISTINCT block_id || '/' || block_row) FROM specobjall WHERE block_id IS NOT NULL),
    (SELECT COUNT(*) FROM blocks)" > "$o/counts.txt"
  # Block contents, not bytes: HDF5 stamps each object with its creation time, so two serial
  # ingests of the same files already differ in a few bytes a block. h5dump shows every
  # dataset's values and every attribute (its first line names the file).
  for f in $(cd "$st" && find . -name '*.h5' | sort); do
    echo "$f $(h5dump "$st/$f" | tail -n +2 | sha256sum)"
  done > "$o/blocks.txt"
  "$bin" -q verify --store "$st" --deep > "$o/verify.txt" 2>&1 || { cat "$o/verify.txt"; echo "verify --deep failed on $st"; return 1; }
  "$bin" -q query --store "$st" --constraint 1 --all --format csv --out "$o/query.csv"
  "$bin" -q query --store "$st" --constraint 1 --all --format ids --fields specobjid --out "$o/ids.txt"
  "$bin" -q get --store "$st" --ids "$o/ids.txt" --out "$o/all.npz"
}

# The summary line without its timing, then the failure and duplicate lines.
summary_of() { sed -E 's/ in [0-9.e+-]+ s \([0-9.e+-]+ files\/s\)//' "$1"; }

case "${1:-}" in
setup)
  rm -rf "$dir" && mkdir -p "$dir/in/real" "$dir/in/bad" "$dir/in/dup"
  cp "$data"/spectra/spec-*.fits "$dir/in/real/"
  "$bin" -q sample --out "$dir/in/sample" --count 300 --seed 17
  # Not FITS at all, and a real file cut short: both must be reported and skipped.
  for i in $(seq 360); do echo "not a FITS file"; done > "$dir/in/bad/spec-0001-50000-0001.fits"
  first=$(ls "$data"/spectra/spec-*.fits | head -1)
  head -c 20000 "$first" > "$dir/in/bad/spec-0002-50000-0002.fits"
  # The same spectrum in a second file: the first copy in input order is kept, the other skipped.
  cp "$first" "$dir/in/dup/"
  "$bin" -q ingest --store "$dir/serial" --block-size $block "$dir/in" > "$dir/serial.out"
  cat "$dir/serial.out"
  summary_of "$dir/serial.out" > "$dir/serial.summary"
  grep -q " 2 failed;" "$dir/serial.out" || { echo "setup: expected 2 failed files"; exit 1; }
  grep -q "^duplicate: " "$dir/serial.out" || { echo "setup: expected a duplicate"; exit 1; }

  observe "$dir/serial" "$dir/serial.obs"
  # Every stored spectrum in exactly one block row (the check the batch stores must pass too).
  IFS='|' read -r in_blocks located nblocks < "$dir/serial.obs/counts.txt"
  [ "$in_blocks" = "$located" ] || { echo "setup: $in_blocks spectra in blocks, $located located rows"; exit 1; }
  n=$(wc -l < "$dir/serial.obs/ids.txt")
  [ "$n" -ge 310 ] || { echo "setup: only $n spectra stored"; exit 1; }
  echo "setup: reference store with $n spectra, $(wc -l < "$dir/serial.obs/blocks.txt") blocks"
  ;;
equal)
  np=$2 st="$dir/np$2"
  runner=("${mpiexec[@]}" -np "$np")
  [ "$np" != 0 ] || runner=()
  rm -rf "$st"
  "${runner[@]}" "$bin" -q batch ingest --store "$st" --block-size $block "$dir/in" < /dev/null > "$st.out"
  cat "$st.out"
  failed=0
  summary_of "$st.out" > "$st.summary"
  observe "$st" "$st.obs"
  # The summary but the count of blocks (each rank fills its own); that count is the blocks table's.
  IFS='|' read -r in_blocks located nblocks < "$st.obs/counts.txt"
  grep -q "; $nblocks blocks written" "$st.out" || { echo "DIFFERENT: the summary does not count the $nblocks blocks stored at -np $np"; failed=1; }
  diff <(sed -E 's/; [0-9]+ blocks written/; N blocks written/' "$dir/serial.summary") \
       <(sed -E 's/; [0-9]+ blocks written/; N blocks written/' "$st.summary") || { echo "DIFFERENT: summary at -np $np"; failed=1; }
  [ "$in_blocks" = "$located" ] || { echo "DIFFERENT: $in_blocks spectra in blocks, $located located rows at -np $np"; failed=1; }
  # verify.txt names the count of blocks: compared with it replaced.
  for f in catalog.txt query.csv ids.txt all.npz; do
    cmp "$dir/serial.obs/$f" "$st.obs/$f" || { echo "DIFFERENT: $f at -np $np"; failed=1; }
  done
  diff <(sed -E 's/[0-9]+ blocks/N blocks/' "$dir/serial.obs/verify.txt") <(sed -E 's/[0-9]+ blocks/N blocks/' "$st.obs/verify.txt") \
    || { echo "DIFFERENT: verify at -np $np"; failed=1; }
  # One rank fills one lane in the serial order: the serial layout, block for block.
  if [ "$np" -le 1 ]; then
    for f in layout.txt blocks.txt; do
      cmp "$dir/serial.obs/$f" "$st.obs/$f" || { echo "DIFFERENT: $f at -np $np (one rank)"; failed=1; }
    done
  fi
  # A second batch run changes nothing: every file is on record.
  "${runner[@]}" "$bin" -q batch ingest --store "$st" --block-size $block "$dir/in" < /dev/null > "$st.again"
  { grep -q " 0 ingested, " "$st.again" && grep -q " 0 blocks written" "$st.again"; } \
    || { cat "$st.again"; echo "DIFFERENT: the second run stored something again at -np $np"; failed=1; }
  [ "$failed" = 0 ] && echo "equal: batch ingest at -np $np makes the serial store"
  exit $failed
  ;;
abort)
  how=$2 rank=${3:-1}
  st="$dir/abort-$how-$rank" log="$dir/abort-$how-$rank.log"
  rm -rf "$st"
  start=$SECONDS rc=0
  # Block size 8: blocks are committed within the first round, before the failure.
  SPECMILL_BATCH_TEST_FAIL="$rank:$how" timeout 60 "${mpiexec[@]}" -np 2 "$bin" batch ingest \
    --store "$st" --block-size 8 "$dir/in" < /dev/null > "$log" 2>&1 || rc=$?
  took=$((SECONDS - start))
  cat "$log"
  [ "$rc" != 0 ] || { echo "abort: the job exited 0"; exit 1; }
  [ "$rc" != 124 ] || { echo "abort: the job hung (killed by timeout after 60 s)"; exit 1; }
  [ "$took" -le 20 ] || { echo "abort: the job took $took s to end"; exit 1; }
  if [ "$how" = throw ]; then
    grep -q "rank $rank of 2 failed, ending the job: SPECMILL_BATCH_TEST_FAIL" "$log" || { echo "abort: no rank/reason line"; exit 1; }
  else
    grep -q "rank $rank .*signal 9" "$log" || { echo "abort: mpirun did not name the killed rank"; exit 1; }
  fi
  # What the job left is a valid store (a kill may land before the store exists: nothing then).
  if [ -e "$st/catalog.sqlite" ]; then
    "$bin" -q verify --store "$st" --deep || { echo "abort: the store left behind does not verify"; exit 1; }
    # Ended between the ranks' writes and rank 0's commit: committed blocks and orphans both.
    committed=$(sqlite3 -readonly "$st/catalog.sqlite" "SELECT COUNT(*) FROM blocks")
    files=$(find "$st/blocks" -name 'blk-*.h5' | wc -l)
    echo "abort: the job left $committed committed blocks and $((files - committed)) uncommitted"
    [ "$committed" -gt 0 ] || { echo "abort: no block was committed before the failure"; exit 1; }
    [ "$files" -gt "$committed" ] || { echo "abort: no uncommitted block was left to resume past"; exit 1; }
  else
    echo "abort: the job left no store"; exit 1
  fi
  # A plain ingest resumes it; the spectra and their catalog rows then equal the reference's
  # (block boundaries may differ: the resumed run starts a new block).
  "$bin" -q ingest --store "$st" --block-size 8 "$dir/in" > "$dir/abort-$how-$rank.resume"
  cat "$dir/abort-$how-$rank.resume"
  observe "$st" "$dir/abort-$how-$rank.obs"
  left=$(find "$st/blocks" -name 'blk-*.h5' | wc -l)
  [ "$left" = "$(sqlite3 -readonly "$st/catalog.sqlite" "SELECT COUNT(*) FROM blocks")" ] \
    || { echo "abort: block files the catalog does not know remain after resuming"; exit 1; }
  for f in catalog.txt query.csv ids.txt all.npz; do
    cmp "$dir/serial.obs/$f" "$dir/abort-$how-$rank.obs/$f" || { echo "abort: $f differs after resuming"; exit 1; }
  done
  echo "abort ($how, rank $rank): ended in $took s with exit $rc; the store verified and a plain ingest completed it"
  ;;
desi)
  rm -rf "$dir/desi" && mkdir -p "$dir/desi"
  "$bin" -q sample --survey desi --count 20 --no-resolution --out "$dir/desi/in"
  rc=0
  "${mpiexec[@]}" -np 2 "$bin" -q batch ingest --store "$dir/desi/np2" "$dir/desi/in" < /dev/null \
    > "$dir/desi/np2.log" 2>&1 || rc=$?
  cat "$dir/desi/np2.log"
  [ "$rc" = 2 ] || { echo "desi: -np 2 exited $rc, expected 2 (usage)"; exit 1; }
  grep -q "batch ingest distributes SDSS spec files only" "$dir/desi/np2.log" || { echo "desi: no reason given"; exit 1; }
  [ ! -e "$dir/desi/np2/catalog.sqlite" ] || { echo "desi: the refused job made a store"; exit 1; }
  "$bin" -q batch ingest --store "$dir/desi/np1" "$dir/desi/in" > "$dir/desi/np1.out"
  cat "$dir/desi/np1.out"
  grep -qE ": [1-9][0-9]* ingested" "$dir/desi/np1.out" || { echo "desi: one rank stored nothing"; exit 1; }
  echo "desi: refused at -np 2 with exit 2, stored by one rank"
  ;;
*)
  echo "usage: $0 setup | equal NP | abort throw|kill | desi" >&2
  exit 2
  ;;
esac
