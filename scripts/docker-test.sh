#!/usr/bin/env bash
# Builds the zcswitch container image with podman and runs `make test` in it.
#
# The base image is made locally by make-base-image.sh (no registry is reachable
# here). podman runs with cgroupfs and runc, and with explicit ulimits, which
# these machines need (see ENVIRONMENT.md). Exit status is the tests'.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=${ZCSWITCH_BASE_IMAGE:-localhost/debian:bookworm}
IMAGE=${ZCSWITCH_IMAGE:-localhost/zcswitch:test}
PODMAN=(podman --cgroup-manager=cgroupfs --runtime=runc)

ZCSWITCH_BASE_IMAGE=$BASE_IMAGE scripts/make-base-image.sh
"${PODMAN[@]}" build --network=host --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$IMAGE" .
"${PODMAN[@]}" run --rm --network=host \
  --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
  "$IMAGE" make test
