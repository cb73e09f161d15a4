#!/usr/bin/env bash
# Install what building and testing need, idempotently: the wasm32-wasip2
# guest toolchain (Debian packages) and a Python virtualenv with the MCP
# client SDK, pytest and `just`.
set -euo pipefail
source "$(dirname "$0")/env.sh"

if [ ! -x "$GUEST_LINKER" ] || [ ! -x "$GUEST_WASM_LD" ] || [ ! -d "$GUEST_LIBC" ] || [ ! -d /usr/lib/rustlib/src/rust/library ]; then
    echo "==> installing the wasm32-wasip2 guest toolchain (Debian rustc-web)" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        rustc-web cargo-web rust-web-src rust-web-llvm lld-22 wasi-libc >/dev/null
fi

if [ ! -x "$VENV/bin/pytest" ] || ! cmp -s "$ROOT/tests/requirements.txt" "$VENV/.requirements.txt"; then
    echo "==> creating $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/tests/requirements.txt"
    cp "$ROOT/tests/requirements.txt" "$VENV/.requirements.txt"
fi

# Elasticsearch 2.4.1 for the tests (tests/backends/es-up.sh) runs on Java 17
# and is fetched with `npm pack`.
if ! command -v java >/dev/null || ! command -v npm >/dev/null; then
    echo "==> installing Java 17 and npm (Debian) for the Elasticsearch tests" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        openjdk-17-jre-headless npm >/dev/null
fi

# An npm package into target/npm, unless that version is there already.
npm_tool() {
    local package="$1" version="$2"
    if ! grep -qs "\"version\": \"$version\"" "$ROOT/target/npm/node_modules/$package/package.json"; then
        echo "==> installing $package@$version (npm)" >&2
        mkdir -p "$ROOT/target/npm"
        npm install --silent --no-audit --no-fund --prefix "$ROOT/target/npm" "$package@$version" >/dev/null
    fi
}

# The official MCP conformance suite (server scenarios); 0.1.13 is the newest
# release that runs on Debian's Node.js 20.
npm_tool @modelcontextprotocol/conformance 0.1.13
# The MCP Inspector CLI, a second real MCP client for the end-to-end tests.
npm_tool @modelcontextprotocol/inspector 0.15.0
