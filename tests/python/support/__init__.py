"""Helpers of the end-to-end tests, one module per subject:

- `runtime`: where the runtime binary and the components are, component
  folders for a test, and the runtime as an HTTP server process;
- `mcp`: MCP clients of the Python SDK and reading their results;
- `loopback`: HTTP servers on loopback ports (the origin components may reach);
- `backends`: the real backends tests/backends/*.sh start (Prometheus,
  Alertmanager, Elasticsearch);
- `kube`: the real kube-apiserver of tests/backends/kube-up.sh;
- `stubs`: the stubs of tests/stubs and the component run against one;
- `frontdoor`: servers behind the front door (API keys, JWTs, audit);
- `tenants`: the multi-tenancy tests' stub Prometheus and configuration;
- `helm`: the helm component tests;
- `grafana`: the grafana read tools and what the stub's data makes them answer.

Support modules import one another without cycles and never import conftest
or a test module (test_support_imports.py checks both); conftest.py registers
the fixtures several test files share."""
