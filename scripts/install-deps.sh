#!/usr/bin/env bash
# Installs every Debian package that specmill's build, tests, benchmarks and demo need.
# Idempotent: packages already present are left alone; apt-get update runs first.
set -euo pipefail

# fonts-dejavu-core: the face plot text is drawn in (Cairo finds it through fontconfig). Debian
# already pulls it in with libcairo2 (fontconfig-config depends on it first among alternatives);
# naming it keeps the plots' look from depending on which alternative a machine happens to have.
packages=(
  build-essential cmake pkg-config
  libcfitsio-dev libhdf5-dev hdf5-tools libtbb-dev libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libpng-dev libcairo2-dev zlib1g-dev libdeflate-dev
  fonts-dejavu-core
  libhealpix-cxx-dev libcpp-httplib-dev
  python3 python3-numpy python3-astropy python3-h5py python3-pytest python3-requests
  python3-pandas python3-specutils python3-matplotlib python3-pil  # the Python client's optional formats
  nodejs chromium  # the web page (/ui): its npm files and its browser tests (tests/web)
  pybind11-dev python3-dev  # the engine in-process for Python (api/python, specmill._engine)
  openmpi-bin libopenmpi-dev  # `specmill batch` over MPI ranks (io/mpi, docs/scale-out.md; mpirun for the mpi.* tests)
  # The PostgreSQL catalog backend: libpq (the client library it links), and the server with
  # q3c that its tests start as a throwaway cluster (scripts/pg-throwaway.sh, docs/postgres.md).
  libpq-dev postgresql-15 postgresql-15-q3c
  nginx-light  # the replica test and docs/deploy.md: specmill serve replicas behind Debian's nginx
)
# Debian's nodejs comes without npm (its own package); a NodeSource nodejs brings npm and
# conflicts with Debian's, so npm is asked for only where the command is missing.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# The web page's npm packages (uPlot; playwright-core drives the browser tests), exactly as
# package-lock.json pins them, into node_modules/; CMake copies what the page loads into the
# build tree. Nothing is fetched when the service runs.
npm_ci() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [ -d "$root/node_modules/uplot" ] && [ -d "$root/node_modules/playwright-core" ] &&
     [ "$root/node_modules/.package-lock.json" -nt "$root/package-lock.json" ]; then
    echo "install-deps: node_modules up to date"
  else
    (cd "$root" && npm ci --no-audit --no-fund)
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  npm_ci
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_ci
echo "install-deps: done"
