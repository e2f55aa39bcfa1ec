#!/usr/bin/env bash
# Command-line tools the integration tests use as independent clients, installed when missing:
#   kcat (Debian package kcat): a librdkafka-based Kafka client the interop tests check
#   libs/kafka against.
# Idempotent and quick when everything is there (`command -v` only). Called by `./clickwise test`
# before integration tests, and by the specs that need a tool.
set -euo pipefail

say() { printf 'test-tools: %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@"
  else say "need root (or sudo) to run: $*"; return 1
  fi
}

# ensure <command> <debian package>
ensure() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null && return 0
  say "installing Debian's $pkg (for $cmd)"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1; then
    as_root apt-get update -qq >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
  fi
  command -v "$cmd" >/dev/null || { say "$pkg installed but $cmd is not on PATH"; exit 1; }
  say "$cmd: $(command -v "$cmd")"
}

ensure kcat kcat
