#!/usr/bin/env bash
# Packs Debian's Open MPI launcher (orterun, orted, plugins, help texts) and every library
# they load into .gpu/mpi.tgz, laid out by absolute path, for scripts/gpu-mpi-check.sh on a GPU machine that has no Open MPI of ours
# (the lent H200: another Open MPI's plugins sit at the Debian path there, and no mpirun).
#   bash scripts/gpu-mpi-bundle.sh        # here, after scripts/gpu-bundle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
paths=(/usr/bin/orterun /usr/bin/orted /usr/lib/x86_64-linux-gnu/openmpi /usr/lib/x86_64-linux-gnu/pmix2 /usr/share/openmpi /etc/openmpi)
for p in "${paths[@]}"; do mkdir -p "$stage/root$(dirname $p)"; cp -a "$p" "$stage/root$p"; done
mkdir -p "$stage/mpilib"
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread|libdl\.so|librt\.so|libresolv|libcuda\.so|libnvidia)'
{ ldd /usr/bin/orterun /usr/bin/orted; find /usr/lib/x86_64-linux-gnu/openmpi /usr/lib/x86_64-linux-gnu/pmix2 -name '*.so*' -type f -exec ldd {} \; ; } 2>/dev/null |
  awk '/=> \//{print $1, $3}' | sort -u | while read -r n p; do [[ "$n" =~ $skip ]] || cp -L "$p" "$stage/mpilib/$n"; done
tar -C "$stage" -czf .gpu/mpi.tgz .
du -h .gpu/mpi.tgz
