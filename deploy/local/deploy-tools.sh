#!/usr/bin/env bash
# kustomize for the deploy tests and `./clickwise deploy build`: sigs.k8s.io/kustomize/kustomize/v5
# at a pinned version, built once with `go install` from the Go module proxy (the Go toolchain is on
# these machines; ~1-3 min the first time) into $CLICKWISE_CACHE/kustomize-<version>/.
# Without Go it falls back to kubectl's built-in kustomize when kubectl is installed.
# Prints the command to run (one line, words separated by spaces) on stdout; progress on stderr.
set -euo pipefail
version=v5.8.2
cache=${CLICKWISE_CACHE:-$HOME/.cache/clickwise}
dir="$cache/kustomize-$version"
bin="$dir/kustomize"

if [[ ! -x $bin ]] && command -v go >/dev/null; then
  mkdir -p "$dir"
  exec 9>"$dir.lock"
  flock 9
  if [[ ! -x $bin ]]; then
    printf 'deploy-tools: building kustomize %s with %s (go install, once)\n' "$version" "$(go version)" >&2
    GOBIN="$dir" GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$version" >&2
  fi
fi
if [[ -x $bin ]]; then
  printf 'deploy-tools: kustomize %s at %s\n' "$("$bin" version)" "$bin" >&2
  echo "$bin"
elif command -v kubectl >/dev/null; then
  printf 'deploy-tools: no Go toolchain; using kubectl'"'"'s built-in kustomize (%s)\n' "$(kubectl version --client 2>/dev/null | grep -i kustomize || true)" >&2
  echo "kubectl kustomize"
else
  echo "deploy-tools: neither Go (to build kustomize $version) nor kubectl is installed" >&2
  exit 1
fi
