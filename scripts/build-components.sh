#!/usr/bin/env bash
# Build every component of the components workspace for wasm32-wasip2 and
# install each service crate (one with a `<crate>.policy.toml` beside its
# Cargo.toml) as components/<crate>/<crate>.wasm, where
# `serve --components ./components` finds it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT/components"
guest_cargo build --release --target wasm32-wasip2 -Zbuild-std=std,panic_abort --locked
for dir in */; do
    crate="${dir%/}"
    wasm="target/wasm32-wasip2/release/${crate//-/_}.wasm"
    if [ -f "$crate/$crate.policy.toml" ] && [ -f "$wasm" ]; then
        cp "$wasm" "$crate/$crate.wasm"
        echo "installed components/$crate/$crate.wasm" >&2
    fi
done
