#!/usr/bin/env bash
# Benchmarks, in a release build:
#  1. per-call overhead (raw wasmtime vs the runtime's invoke path) and
#     tools/call throughput over streamable HTTP (runtime/benches/invoke.rs);
#  2. listing 200 pods from a real kube-apiserver through tools/call (stdio
#     and streamable HTTP, Python MCP client) against a direct GET
#     (tests/bench/kube_list.py). The control plane is stopped afterwards
#     unless K8S_MCP_KUBE_KEEP=1;
#  3. tenant fairness: one tenant's p50/p99 alone, and while another tenant
#     saturates its components with and without a per-tenant concurrency cap
#     (tests/bench/tenant_fairness.py).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build-components.sh"
cargo bench --locked --bench invoke
cargo build --release --locked --bin k8s-mcp-runtime
trap '[ "${K8S_MCP_KUBE_KEEP:-0}" = 1 ] || "$ROOT/tests/backends/kube-down.sh" >/dev/null' EXIT
K8S_MCP_RUNTIME_BIN="$ROOT/target/release/k8s-mcp-runtime" "$VENV/bin/python" "$ROOT/tests/bench/kube_list.py"
K8S_MCP_RUNTIME_BIN="$ROOT/target/release/k8s-mcp-runtime" "$VENV/bin/python" "$ROOT/tests/bench/tenant_fairness.py"
