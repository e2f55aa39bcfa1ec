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

grpcurl_version=v1.9.4
go=$(command -v go || echo /usr/local/go/bin/go)
gobin="$("$go" env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
if ! command -v grpcurl >/dev/null 2>&1 && [[ ! -x $gobin/grpcurl ]]; then
  if [[ -x $go ]]; then
    printf 'test-tools: installing grpcurl %s (go install)\n' "$grpcurl_version" >&2
    GOBIN=$gobin "$go" install "github.com/fullstorydev/grpcurl/cmd/grpcurl@${grpcurl_version}" >&2
  else
    printf 'test-tools: no Go toolchain: grpcurl not installed; the grpcurl test will say so\n' >&2
  fi
fi
printf 'test-tools: grpcurl: %s\n' "$(command -v grpcurl || echo "$gobin/grpcurl")" >&2

promtool_version=v0.316.0
if ! command -v promtool >/dev/null 2>&1 && [[ ! -x $gobin/promtool ]]; then
  if [[ -x $go ]]; then
    printf 'test-tools: installing promtool %s (go install; a few minutes the first time)\n' "$promtool_version" >&2
    GOBIN=$gobin "$go" install "github.com/prometheus/prometheus/cmd/promtool@${promtool_version}" >&2
  else
    printf 'test-tools: no Go toolchain: promtool not installed; the alert-rule tests will say so\n' >&2
  fi
fi
printf 'test-tools: promtool: %s\n' "$(command -v promtool || echo "$gobin/promtool")" >&2
