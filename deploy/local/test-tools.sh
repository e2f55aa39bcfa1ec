#!/usr/bin/env bash
# Command-line tools the integration tests use as independent clients, installed when missing:
#   kcat (Debian package kcat): a librdkafka-based Kafka client the interop tests check
#   libs/kafka against.
# Idempotent and quick when everything is there (`command -v` only). Called by `./clickwise test`
# before integration tests, and by the specs that need a tool.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/apt.sh"

apt_ensure kcat kcat
printf 'test-tools: kcat: %s\n' "$(command -v kcat)" >&2
