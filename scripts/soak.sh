#!/usr/bin/env bash
# Soak test of the REST service on loopback (scripts/soak.py): `scripts/soak.sh MINUTES`
# builds a store, starts `specmill serve`, drives it with 64 connections of mixed requests for
# MINUTES (default 10) and prints errors, latency percentiles and the server's RSS over time.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
shift || true
exec /usr/bin/python3 scripts/soak.py --minutes "$minutes" "$@"
