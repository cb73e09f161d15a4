"""Per-caller Kubernetes identity: with `impersonate_callers`, each API-key
caller acts in the real API server as its own user (and its roles as
groups), so the cluster's RBAC decides; results are never shared between
callers through the cache."""

from __future__ import annotations

import uuid

import pytest

from support.frontdoor import api_key, client, serve
from support.kube import needs_kube, ok
from support.mcp import json_of, text_of
from support.runtime import components_subset

pytestmark = [
    pytest.mark.anyio,
    needs_kube,
]

KEYS = {"alice": "alice-" + uuid.uuid4().hex, "bob": "bob-" + uuid.uuid4().hex}


def config(kubeconfig: str) -> str:
    return f"""
{api_key("alice", KEYS["alice"], subject="alice", roles=["auditors"])}
{api_key("bob", KEYS["bob"], subject="bob", roles=["nobody"])}
[kubernetes]
kubeconfig = "{kubeconfig}"
impersonate_callers = true
caller_user_prefix = "mcp:"
caller_group_prefix = "mcp:"
"""


async def test_callers_act_as_themselves_in_the_cluster(kube, kube_cluster, namespace, runtime_bin, tmp_path):
    ns = namespace
    # The cluster grants the group mcp:auditors read access to pods in `ns`, nothing else.
    async with kube() as admin:
        await ok(admin, "create_resource", {"manifest": {
            "kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": "pod-reader", "namespace": ns},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}})
        await ok(admin, "create_resource", {"manifest": {
            "kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": "auditors", "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "mcp:auditors"}]}})

    with serve(runtime_bin, components_subset(tmp_path / "components", "kubernetes"), config(kube_cluster["KUBECONFIG_ADMIN"]), tmp_path) as server:
        async with client(server.base, {"X-API-Key": KEYS["alice"]}) as alice:
            pods = json_of(await alice.call_tool("kubernetes_list_resources", {"kind": "Pod", "namespace": ns}))
            assert pods["count"] == 0
            who = json_of(await alice.call_tool("kubernetes_check_permissions", {
                "verb": "list", "resourceGroup": "", "resourceResource": "pods", "namespace": ns}))
            assert who["allowed"] is True
            denied = await alice.call_tool("kubernetes_list_resources", {"kind": "ConfigMap", "namespace": ns})
            assert denied.is_error and "mcp:alice" in text_of(denied) and "configmaps" in text_of(denied), text_of(denied)
            write = await alice.call_tool("kubernetes_create_resource", {"kind": "ConfigMap", "metadata": {"name": "x", "namespace": ns}})
            assert write.is_error and "forbidden" in text_of(write).lower()

        async with client(server.base, {"X-API-Key": KEYS["bob"]}) as bob:
            r = await bob.call_tool("kubernetes_list_resources", {"kind": "Pod", "namespace": ns})
            assert r.is_error and "mcp:bob" in text_of(r), text_of(r)
