#!/usr/bin/env bash
# Build Sector's sandbox image offline, from Debian packages (no registry needed):
# debootstrap a minimal Debian with the toolchains, then `docker import` it.
#   scripts/build-images.sh [TAG]        (default: sector-sandbox:bookworm)
# Needs root, debootstrap and a running Docker engine (DOCKER_HOST is honoured).
set -euo pipefail

tag=${1:-sector-sandbox:bookworm}
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "image $tag already present"
  exit 0
fi
packages=python3-minimal,gcc,g++,libc6-dev,nodejs
rootfs=$(mktemp -d /tmp/sector-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" >/dev/null
# Slim it: documentation and apt lists are never needed inside a sandbox.
rm -rf "$rootfs"/usr/share/{doc,man,info,locale} "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  - "$tag" >/dev/null
echo "built $tag"
