#!/usr/bin/env bash
# Crash trial for ingest: kill -9 at N random moments, resume, and check that every spectrum is
# stored exactly once and bit for bit as a one-shot ingest stores it.
#
#   scripts/kill-ingest.sh N [WORKDIR]
#
# 1. `specmill sample` writes COUNT synthetic spec files (default 600, seed 1) into WORKDIR.
# 2. A one-shot ingest of them is the reference; its duration T sets the kill window.
# 3. Trials: a fresh store; up to KILLS_PER_STORE (default 5) ingests into it, each killed with
#    SIGKILL after a random 0..T ms (the first moments of a new store included); after every
#    kill `specmill verify` must pass or find no store yet. Then an unkilled run resumes it, and
#    the store is checked: verify --deep with no notes, COUNT located rows with COUNT distinct
#    IDs, COUNT block rows with no ID twice, no block file without a catalog row, and
#    `specmill get` of every ID equal, column for column and bit for bit, to the reference's.
#    Trials repeat until N kills have landed inside a running ingest.
# Environment: SPECMILL_BIN (default build/bin/specmill), COUNT, SEED, KILLS_PER_STORE,
# BLOCK_SIZE (default 16: many commit points), PYTHON (default: the first of python3 and
# /usr/bin/python3 that has numpy and h5py).
# RANKS=N (N >= 1): the killed and the resuming runs are the MPI ingest, `mpirun -np N specmill
# batch ingest` (a build with MPI), killed as a node failure or `scancel` kills a job: SIGKILL
# to mpirun and every rank at once (its session: Open MPI gives each rank a process group of its
# own). The reference stays the one-process ingest, so the check is also "parallel ingest,
# killed and resumed, equals serial ingest". The kill window is then the MPI run's duration.
# MPIEXEC: the launcher (default mpirun).
# Prints one summary line; exits 1 on the first broken invariant.
set -euo pipefail

N=${1:?usage: scripts/kill-ingest.sh N [WORKDIR]}
WORK=${2:-$(mktemp -d -t kill-ingest.XXXXXX)}
BIN=${SPECMILL_BIN:-build/bin/specmill}
COUNT=${COUNT:-600}
SEED=${SEED:-1}
KILLS_PER_STORE=${KILLS_PER_STORE:-5}
BLOCK=${BLOCK_SIZE:-16}
RANDOM=${SEED}  # the kill moments are reproducible for a seed (up to scheduling)
mkdir -p "$WORK"
if [ -z "${PYTHON:-}" ]; then
  for p in python3 /usr/bin/python3; do
    if "$p" -c 'import numpy, h5py' 2>/dev/null; then PYTHON=$p; break; fi
  done
fi
[ -n "${PYTHON:-}" ] || { echo "kill-ingest: needs a python3 with numpy and h5py (set PYTHON)" >&2; exit 1; }

die() { echo "kill-ingest: FAILED: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
sleep_ms() { sleep "$(awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }')"; }

sample="$WORK/sample"
if [ "$(find "$sample" -name 'spec-*.fits' 2>/dev/null | wc -l)" -ne "$COUNT" ]; then
  rm -rf "$sample"
  "$BIN" --quiet sample --out "$sample" --count "$COUNT" --seed "$SEED" >/dev/null
fi

RANKS=${RANKS:-0}
MPIRUN=("${MPIEXEC:-mpirun}" --allow-run-as-root --oversubscribe -np "$RANKS")
ingest() { "$BIN" --quiet ingest --store "$1" --block-size "$BLOCK" "$sample"; }
# The run that is killed, and the one that resumes after the kills.
run_ingest() {
  if [ "$RANKS" -gt 0 ]; then
    "${MPIRUN[@]}" "$BIN" --quiet batch ingest --store "$1" --block-size "$BLOCK" "$sample"
  else
    ingest "$1"
  fi
}

# The reference: one uninterrupted run.
ref="$WORK/ref"
rm -rf "$ref"
t0=$(now_ms)
ingest "$ref" >/dev/null
T=$(( $(now_ms) - t0 ))
"$PYTHON" - "$ref/catalog.sqlite" "$WORK/ids.txt" "$COUNT" <<'PY'
import sqlite3, sys
ids = [r[0] & (2**64 - 1) for r in sqlite3.connect(sys.argv[1]).execute(
    "SELECT specobjid FROM specobjall WHERE block_id IS NOT NULL ORDER BY specobjid")]
assert len(ids) == int(sys.argv[3]), f"reference stored {len(ids)} spectra, expected {sys.argv[3]}"
open(sys.argv[2], "w").write("".join(f"{i}\n" for i in ids))
PY
"$BIN" --quiet get --store "$ref" --ids "$WORK/ids.txt" --format npz --out "$WORK/ref.npz"
# With RANKS the kill window is the MPI run's own duration (its start-up included).
if [ "$RANKS" -gt 0 ]; then
  rm -rf "$WORK/mpi-timing"
  t0=$(now_ms)
  run_ingest "$WORK/mpi-timing" >/dev/null
  T=$(( $(now_ms) - t0 ))
  rm -rf "$WORK/mpi-timing"
fi

# Checks a completed store against the reference; prints "lost duplicated differing".
check_store() {
  local s=$1
  local v
  v=$("$BIN" verify --deep --store "$s") || die "verify --deep of $s: $v"
  case "$v" in *note:*) die "verify --deep of $s left notes: $v" ;; esac
  "$BIN" --quiet get --store "$s" --ids "$WORK/ids.txt" --format npz --out "$s.npz" || die "get from $s"
  "$PYTHON" - "$s" "$WORK/ref.npz" "$s.npz" "$COUNT" <<'PY'
import pathlib, sqlite3, sys
import h5py, numpy as np
store, ref, got, count = pathlib.Path(sys.argv[1]), np.load(sys.argv[2]), np.load(sys.argv[3]), int(sys.argv[4])
db = sqlite3.connect(store / "catalog.sqlite")
located, distinct = db.execute(
    "SELECT count(*), count(DISTINCT specobjid) FROM specobjall WHERE block_id IS NOT NULL").fetchone()
in_blocks = []
for b in sorted((store / "blocks").iterdir()):
    assert b.suffix == ".h5", f"stray file {b}"
    with h5py.File(b, "r") as h:
        in_blocks += [int(x) for x in h["meta"]["specobjid"]]
(n_blocks,) = db.execute("SELECT count(*) FROM blocks").fetchone()
assert n_blocks == len(list((store / "blocks").glob("*.h5"))), "block files and catalog disagree"
lost = count - len(set(in_blocks) & set(int(x) & (2**64 - 1) for (x,) in db.execute(
    "SELECT specobjid FROM specobjall WHERE block_id IS NOT NULL")))
duplicated = (located - distinct) + (len(in_blocks) - len(set(in_blocks)))
assert sorted(ref.files) == sorted(got.files), (ref.files, got.files)
differing = 0
for k in ref.files:
    a, b = ref[k], got[k]
    if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
        differing += 1
        print(f"column {k} differs", file=sys.stderr)
print(lost, duplicated, differing)
PY
}

kills=0 trials=0 finished_early=0 no_store=0 valid_after_kill=0 lost=0 duplicated=0 differing=0
at_zero=0 partial=0 at_full=0 resumed=0
while [ "$kills" -lt "$N" ]; do
  s="$WORK/store-$trials"
  rm -rf "$s" "$s.npz"
  k=0 had_kill=0
  while [ "$k" -lt "$KILLS_PER_STORE" ] && [ "$kills" -lt "$N" ]; do
    delay=$(( RANDOM % (T + 1) ))
    # Started directly, not through a function: $! must be specmill (or mpirun) itself, not a
    # subshell. With RANKS, setsid makes mpirun a session leader (the script has no job control,
    # so setsid execs in place: $! is mpirun), and the kill goes to its whole session.
    if [ "$RANKS" -gt 0 ]; then
      setsid "${MPIRUN[@]}" "$BIN" --quiet batch ingest --store "$s" --block-size "$BLOCK" "$sample" >"$WORK/killed.log" 2>&1 &
    else
      "$BIN" --quiet ingest --store "$s" --block-size "$BLOCK" "$sample" >/dev/null 2>&1 &
    fi
    pid=$!
    sleep_ms "$delay"
    if [ "$RANKS" -gt 0 ]; then pkill -9 -s "$pid" 2>/dev/null || true; else kill -9 "$pid" 2>/dev/null || true; fi
    set +e
    { wait "$pid"; } 2>/dev/null  # without bash's "Killed" line
    rc=$?
    set -e
    # No rank may outlive the kill (one that did would go on writing beside the resuming run);
    # zombies (exited, not yet reaped) do not count.
    if [ "$RANKS" -gt 0 ]; then
      alive() { ps -o stat= -s "$pid" 2>/dev/null | grep -qv '^Z'; }
      for _ in $(seq 100); do alive || break; sleep 0.05; done
      ! alive || die "processes of the killed job (session $pid) still run: $(ps -o pid=,stat=,args= -s "$pid")"
    fi
    # 137 = killed by SIGKILL. (kill succeeds on an exited, unreaped process too: the status
    # tells a kill from a run that had already finished.)
    if [ "$rc" -eq 137 ]; then
      kills=$((kills + 1)) k=$((k + 1)) had_kill=1
    elif [ "$rc" -eq 0 ]; then
      finished_early=$((finished_early + 1))
      break
    else
      die "an ingest into $s exited $rc before its kill: $(tail -5 "$WORK/killed.log" 2>/dev/null)"
    fi
    set +e
    out=$("$BIN" verify --store "$s" 2>&1)
    rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then
      valid_after_kill=$((valid_after_kill + 1))
      # "verify: B blocks, S stored spectra, ...": how far the killed run had got.
      stored=$(printf '%s' "$out" | sed -n 's/^verify: [0-9]* blocks, \([0-9]*\) stored spectra.*/\1/p')
      if [ "${stored:-0}" -eq 0 ]; then at_zero=$((at_zero + 1))
      elif [ "$stored" -lt "$COUNT" ]; then partial=$((partial + 1))
      else at_full=$((at_full + 1)); fi
    elif [ "$rc" -eq 3 ] && printf '%s' "$out" | grep -qE 'no store at|no catalog at'; then
      no_store=$((no_store + 1))
    else
      die "after kill $kills (${delay} ms): verify exited $rc: $out"
    fi
  done
  out=$(run_ingest "$s" 2>&1) || die "resuming $s: $out"
  case "$out" in *" 0 failed"*) ;; *) die "resuming $s: $out" ;; esac
  resumed=$((resumed + had_kill))
  read -r l d x < <(check_store "$s") || die "checking $s"
  [ "$l$d$x" = "000" ] || die "$s: $l lost, $d duplicated, $x differing"
  lost=$((lost + l)) duplicated=$((duplicated + d)) differing=$((differing + x))
  trials=$((trials + 1))
  rm -rf "$s" "$s.npz"
done

[ "$RANKS" -gt 0 ] && echo "kill-ingest: the killed and resuming runs were mpirun -np $RANKS specmill batch ingest"
echo "kill-ingest: $kills kills over $trials stores of $COUNT spectra (kill window 0-${T} ms, the one-shot" \
     "ingest time); after a kill verify found no store yet $no_store times and a valid store $valid_after_kill" \
     "times (with 0 / some / all spectra stored: $at_zero / $partial / $at_full); $resumed stores completed by" \
     "runs resuming after a kill ($finished_early runs in all finished before their kill came); $trials stores" \
     "checked: $lost lost, $duplicated duplicated, $differing differing from the one-shot ingest"
