# Everyday recipes. `just --list` shows them.

# Build the components and serve them over stdio.
run *ARGS:
    scripts/run.sh {{ARGS}}

# Install toolchains, build everything, run all tests (what CI runs).
test *ARGS:
    scripts/test.sh {{ARGS}}

# Build the wasm32-wasip2 components and install them under ./components.
components:
    scripts/build-components.sh

# Benchmarks (release build): per-call overhead, HTTP throughput, and
# listing 200 pods from a real kube-apiserver vs a direct GET.
bench:
    scripts/bench.sh

fmt:
    cargo fmt --all
    cd components && cargo fmt --all

lint:
    scripts/check-layers.py
    cargo fmt --all --check
    cd components && cargo fmt --all --check
    cargo clippy --all-targets --locked -- -D warnings
    cd components && cargo clippy --all-targets --locked -- -D warnings
