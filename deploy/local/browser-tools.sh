#!/usr/bin/env bash
# A headless browser for the tracker's browser tests: Debian's chromium, installed when missing.
# playwright-core drives it (executablePath /usr/bin/chromium); Playwright's own browser download
# cannot be used here. Idempotent and quick when chromium is there. Prints the chromium path.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/apt.sh"

apt_ensure chromium chromium --no-install-recommends
command -v chromium
