"""Per-tenant Kubernetes policy against a real kube-apiserver: one tenant's
read-only policy blocks its writes while another tenant may write, and a
tenant's namespaces narrow the global policy."""

from __future__ import annotations

import uuid

import pytest

from support.frontdoor import api_key, client, serve
from support.kube import needs_kube
from support.mcp import json_of, text_of
from support.runtime import components_subset

pytestmark = [
    pytest.mark.anyio,
    needs_kube,
]

KEYS = {"viewers": "viewers-" + uuid.uuid4().hex, "operators": "operators-" + uuid.uuid4().hex,
        "guests": "guests-" + uuid.uuid4().hex}


def config(kubeconfig: str, ns: str) -> str:
    keys = "".join(api_key(t, k, subject=f"{t}-bot", tenant=t) + "\n" for t, k in KEYS.items())
    return f"""
{keys}
[kubernetes]
kubeconfig = "{kubeconfig}"

[tenants.viewers.kubernetes]
read_only = true
allowed_namespaces = ["{ns}"]

[tenants.operators]

[tenants.guests.kubernetes]
impersonate_user = "tenant-guest"
impersonate_groups = ["tenant-guests"]
"""


async def test_read_only_tenant_cannot_write_while_another_can(kube_cluster, namespace, runtime_bin, tmp_path):
    ns = namespace
    cfg = config(kube_cluster["KUBECONFIG_ADMIN"], ns)
    with serve(runtime_bin, components_subset(tmp_path / "components", "kubernetes"), cfg, tmp_path) as server:
        async with client(server.base, {"X-API-Key": KEYS["viewers"]}) as viewers:
            listed = json_of(await viewers.call_tool("kubernetes_list_resources", {"kind": "ConfigMap", "namespace": ns}))
            assert "count" in listed
            write = await viewers.call_tool(
                "kubernetes_create_resource", {"kind": "ConfigMap", "metadata": {"name": "from-viewers", "namespace": ns}})
            assert write.is_error and "read-only" in text_of(write), text_of(write)
            elsewhere = await viewers.call_tool("kubernetes_list_resources", {"kind": "ConfigMap", "namespace": "default"})
            assert elsewhere.is_error and "not among the allowed namespaces" in text_of(elsewhere), text_of(elsewhere)
        async with client(server.base, {"X-API-Key": KEYS["operators"]}) as operators:
            created = await operators.call_tool(
                "kubernetes_create_resource", {"kind": "ConfigMap", "metadata": {"name": "from-operators", "namespace": ns}})
            assert not created.is_error, text_of(created)
            got = json_of(await operators.call_tool(
                "kubernetes_get_resource", {"kind": "ConfigMap", "name": "from-operators", "namespace": ns}))
            assert "from-operators" in str(got)
            missing = await operators.call_tool(
                "kubernetes_get_resource", {"kind": "ConfigMap", "name": "from-viewers", "namespace": ns})
            assert missing.is_error, text_of(missing)


async def test_tenant_identity_is_impersonated(kube_cluster, namespace, runtime_bin, tmp_path):
    """The guests tenant acts as its own user, which the cluster's RBAC grants nothing."""
    ns = namespace
    cfg = config(kube_cluster["KUBECONFIG_ADMIN"], ns)
    with serve(runtime_bin, components_subset(tmp_path / "components", "kubernetes"), cfg, tmp_path) as server:
        async with client(server.base, {"X-API-Key": KEYS["guests"]}) as guests:
            denied = await guests.call_tool("kubernetes_list_resources", {"kind": "ConfigMap", "namespace": ns})
            assert denied.is_error and "tenant-guest" in text_of(denied), text_of(denied)
        async with client(server.base, {"X-API-Key": KEYS["operators"]}) as operators:
            listed = await operators.call_tool("kubernetes_list_resources", {"kind": "ConfigMap", "namespace": ns})
            assert not listed.is_error, text_of(listed)
