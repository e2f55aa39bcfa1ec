#!/usr/bin/env bash
# A headless browser for the tracker's browser tests: Debian's chromium, installed when missing.
# playwright-core drives it (executablePath /usr/bin/chromium); Playwright's own browser download
# cannot be used here. Idempotent and quick when chromium is there. Prints the chromium path.
set -euo pipefail

say() { printf 'browser-tools: %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@"
  else say "need root (or sudo) to run: $*"; return 1
  fi
}

if ! command -v chromium >/dev/null; then
  say "installing Debian's chromium"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
    as_root apt-get update -qq >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
fi
command -v chromium >/dev/null || { say "chromium installed but not on PATH"; exit 1; }
command -v chromium
