# Shared settings for the project's scripts (sourced, not executed).
# Guest components build with Debian's rustc-web (wasm32-wasip2 + build-std);
# the host runtime builds with the rustup toolchain.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
GUEST_LINKER=/usr/lib/rustlib/x86_64-unknown-linux-gnu/bin/wasm-component-ld
GUEST_WASM_LD=/usr/lib/llvm-22/bin/wasm-ld
GUEST_LIBC=/usr/lib/wasm32-wasi

guest_cargo() {
    env -u RUSTFLAGS \
        RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
        CARGO_TARGET_WASM32_WASIP2_LINKER="$GUEST_LINKER" \
        CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS="-L native=$GUEST_LIBC -C link-arg=--wasm-ld-path=$GUEST_WASM_LD" \
        /usr/bin/cargo "$@"
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
