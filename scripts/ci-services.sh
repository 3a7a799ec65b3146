#!/usr/bin/env bash
# Start what the test suite uses for real on a fresh Debian machine (as root):
# bubblewrap for the local sandbox, a Docker engine, and the sandbox image built offline.
# Prints the environment to export. Safe to run again.
set -euo pipefail

socket=/run/sector-docker.sock
data_root=/var/lib/sector-docker

missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
# Renderers the drawing tests use: librsvg and Chromium for SVG and HTML pixels, tmux for an
# 80x24 terminal.
command -v rsvg-convert >/dev/null || missing+=(librsvg2-bin)
command -v chromium >/dev/null || missing+=(chromium)
command -v tmux >/dev/null || missing+=(tmux)
# `sector export`: WeasyPrint lays out text with Pango; exported pages use the DejaVu fonts.
ldconfig -p | grep -q libpangoft2-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -qi "DejaVu Sans Mono" || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

export DOCKER_HOST=unix://$socket
if ! docker version >/dev/null 2>&1; then
  mkdir -p "$data_root"
  nohup dockerd --data-root "$data_root" --host "$DOCKER_HOST" >/var/log/sector-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker version >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker version >/dev/null 2>&1 || { tail -20 /var/log/sector-dockerd.log >&2; exit 1; }
fi
"$(dirname "$0")/build-images.sh" sector-sandbox:bookworm >&2

echo "export DOCKER_HOST=$DOCKER_HOST"
echo "export SECTOR_TEST_IMAGE=sector-sandbox:bookworm"
