#!/usr/bin/env bash
# Load generators the benchmarks drive, installed when missing:
#   ghz (go install from the Go module proxy, pinned): the gRPC load generator of `bench predict` and
#   `bench recommend`; installed into $(go env GOPATH)/bin (~1-2 min cold). Pinned because the
#   proxy's @latest for this module resolves to v0.93.0 (2020), not the newest release.
# Idempotent and quick when it is there (`command -v` only). Called by `./clickwise bench` before the
# benchmarks that need it.
set -euo pipefail

go=$(command -v go || echo /usr/local/go/bin/go)
gobin="$("$go" env GOPATH 2>/dev/null || echo "$HOME/go")/bin"

if ! command -v ghz >/dev/null 2>&1 && [[ ! -x $gobin/ghz ]]; then
  if [[ ! -x $go ]]; then
    printf 'bench-tools: no Go toolchain: cannot install ghz (go install github.com/bojand/ghz/cmd/ghz@v0.120.0)\n' >&2
    exit 1
  fi
  printf 'bench-tools: installing ghz (go install github.com/bojand/ghz/cmd/ghz@v0.120.0, a minute or two the first time)\n' >&2
  GOBIN=$gobin "$go" install github.com/bojand/ghz/cmd/ghz@v0.120.0 >&2
fi
printf 'bench-tools: ghz: %s\n' "$(command -v ghz || echo "$gobin/ghz")" >&2
