#!/usr/bin/env bash
# Command-line tools the integration tests use as independent clients, installed when missing:
#   kcat (Debian package kcat): a librdkafka-based Kafka client the interop tests check
#   libs/kafka against.
#   grpcurl (go install from the Go module proxy, pinned): the independent gRPC client the
#   prediction tests call through reflection; installed into $(go env GOPATH)/bin (~45 s cold).
#   promtool (go install from the Go module proxy, pinned): checks and unit-tests the Prometheus
#   alert rules in deploy/prometheus; same folder (a few minutes cold: Prometheus is a big module).
# Idempotent and quick when everything is there (`command -v` only). Called by `./clickwise test`
# before integration tests, and by the specs that need a tool.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/apt.sh"

apt_ensure kcat kcat
printf 'test-tools: kcat: %s\n' "$(command -v kcat)" >&2

go=$(command -v go || echo /usr/local/go/bin/go)
gobin="$("$go" env GOPATH 2>/dev/null || echo "$HOME/go")/bin"

# go_tool NAME MODULE@VERSION WHAT: installs NAME with `go install` unless it is on PATH or in $gobin.
go_tool() {
  local name=$1 module=$2 what=$3
  if ! command -v "$name" >/dev/null 2>&1 && [[ ! -x $gobin/$name ]]; then
    if [[ -x $go ]]; then
      printf 'test-tools: installing %s (go install %s)\n' "$name" "$module" >&2
      GOBIN=$gobin "$go" install "$module" >&2
    else
      printf 'test-tools: no Go toolchain: %s not installed; %s will say so\n' "$name" "$what" >&2
    fi
  fi
  printf 'test-tools: %s: %s\n' "$name" "$(command -v "$name" || echo "$gobin/$name")" >&2
}

go_tool grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4 'the grpcurl test'
# Prometheus is a big module: a few minutes the first time on a machine.
go_tool promtool github.com/prometheus/prometheus/cmd/promtool@v0.316.0 'the alert-rule tests'
