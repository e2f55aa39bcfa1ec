# Sourced by the local scripts: installs a Debian package when its command is missing.
# shellcheck shell=bash

apt_as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@"
  else printf 'apt: need root (or sudo) to run: %s\n' "$*" >&2; return 1
  fi
}

# apt_ensure <command> <debian package> [apt-get install options…]
# Quick when the command is there; otherwise installs the package (running `apt-get update` first
# only when the plain install fails) and checks the command is then on PATH.
apt_ensure() {
  local cmd=$1 pkg=$2
  shift 2
  command -v "$cmd" >/dev/null && return 0
  printf 'apt: installing Debian'"'"'s %s (for %s)\n' "$pkg" "$cmd" >&2
  if ! apt_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" "$pkg" >/dev/null 2>&1; then
    apt_as_root apt-get update -qq >/dev/null
    apt_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" "$pkg" >/dev/null
  fi
  command -v "$cmd" >/dev/null || { printf 'apt: %s installed but %s is not on PATH\n' "$pkg" "$cmd" >&2; return 1; }
}
