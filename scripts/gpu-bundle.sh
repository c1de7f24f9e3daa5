#!/usr/bin/env bash
# Packs a CUDA build made on this machine (build/, SPECMILL_CUDA on) into one archive that
# scripts/gpu-check.sh runs on a GPU machine which has the NVIDIA driver but none of our Debian
# libraries and no network (the lent H200: no apt-get there, so gpu-check cannot build there).
#
#   bash scripts/gpu-bundle.sh [build-dir] [archive]     # defaults: build  .gpu/bundle.tgz
#   GPU_CHECK_PREBUILT=.gpu/bundle.tgz bash scripts/gpu-check.sh      # on the GPU machine
#
# The archive holds the test programs and the benchmarks (stripped), the
# specmill CLI, every shared library they load except the C library's own and the driver's
# (the driver's libcuda comes from the GPU machine), ../shared/data (the tests read real SDSS
# files through a path compiled in), and paths.env: the absolute paths the programs were built
# with (source, build and shared data), which gpu-check recreates there as links.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
archive=${2:-.gpu/bundle.tgz}
[ -x "$build/bin/tests_kernels" ] || { echo "gpu-bundle: no $build/bin/tests_kernels: build first" >&2; exit 1; }
ls "$build"/CMakeFiles/*/CMakeCUDACompiler.cmake >/dev/null 2>&1 ||
  { echo "gpu-bundle: $build is not a CUDA build" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/shared"

# Every test program and benchmark travels: which have GPU cases is for the GPU machine to say
# (some benchmarks register their GPU cases only where a device answers).
programs=("$build/bin/specmill" "$build"/bin/tests_* "$build"/bin/bench_*)
for p in "${programs[@]}"; do
  strip --strip-unneeded -o "$stage/bin/$(basename "$p")" "$p"
done

# Shared libraries: everything ldd resolves, less the C library family (the GPU machine's own
# glibc is at least as new as Debian 12's) and the driver's libraries.
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread|libdl\.so|librt\.so|libresolv|libcuda\.so|libnvidia)'
for p in "${programs[@]}"; do
  ldd "$p" | awk '/=> \//{print $1, $3}'
done | sort -u | while read -r name path; do
  [[ "$name" =~ $skip ]] && continue
  cp -L "$path" "$stage/lib/$name"
done

shared_data=$(sed -n 's/^SPECMILL_SHARED_DATA:PATH=//p' "$build/CMakeCache.txt")
cp -r "$shared_data" "$stage/shared/data"
{
  echo "SOURCE_DIR=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")"
  echo "BUILD_DIR=$(cd "$build" && pwd)"
  echo "SHARED_DATA=$shared_data"
  echo "BUILT=\"$(git rev-parse --short HEAD)$(git diff --quiet || echo +changes) $(date -u +%FT%TZ)\""
} >"$stage/paths.env"

mkdir -p "$(dirname "$archive")"
tar -C "$stage" -czf "$archive" .
echo "gpu-bundle: $archive ($(du -h "$archive" | cut -f1)): ${#programs[@]} programs, $(ls "$stage/lib" | wc -l) libraries"
