"""Per-caller Kubernetes identity: with `impersonate_callers`, each API-key
caller acts in the real API server as its own user (and its roles as
groups), so the cluster's RBAC decides; results are never shared between
callers through the cache. Groups come only from the operator's explicit
`caller_groups` mapping: validly signed tokens claiming `system:masters`,
a group name or a `system:` subject get nothing more than the mapping gives."""

from __future__ import annotations

import uuid

import pytest

from support.frontdoor import JWT_SECRET, api_key, claims, client, mint, serve
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
caller_groups = {{ auditors = ["mcp:auditors"] }}
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


def jwt_config(kubeconfig: str, port: int) -> str:
    # Default prefixes (mcp:), one mapped role; `system:masters` is no role here.
    return f"""
[auth]
resource = "http://127.0.0.1:{port}/mcp"
[auth.jwt]
secret = "{JWT_SECRET}"
issuer = "https://issuer.test"
[auth.roles.viewer]
tools = ["kubernetes_*"]
[auth.roles.ops]
tools = ["kubernetes_*"]
[kubernetes]
kubeconfig = "{kubeconfig}"
impersonate_callers = true
caller_groups = {{ viewer = ["mcp:viewer"] }}
"""


async def test_forged_roles_and_system_subjects_get_only_the_mapped_groups(kube, kube_cluster, namespace, runtime_bin, tmp_path):
    from support.runtime import free_port

    ns, node = namespace, kube_cluster.get("KUBE_FAKE_NODE", "fake-node")
    rbac = "rbac.authorization.k8s.io"
    # mcp:viewer may read pods in `ns`. Traps: what a raw claim would have become
    # (with or without a prefix) may read Secrets.
    traps = [("Group", "mcp:system:masters"), ("Group", "mcp:mcp:viewer"), ("Group", "viewer"), ("Group", "mcp:ops"),
             ("User", "system:admin"), ("User", "mcp:system:admin")]
    async with kube() as admin:
        for name, resources in (("pod-reader", ["pods"]), ("secret-reader", ["secrets"])):
            await ok(admin, "create_resource", {"manifest": {
                "kind": "Role", "apiVersion": f"{rbac}/v1", "metadata": {"name": name, "namespace": ns},
                "rules": [{"apiGroups": [""], "resources": resources, "verbs": ["get", "list"]}]}})
        await ok(admin, "create_resource", {"manifest": {
            "kind": "RoleBinding", "apiVersion": f"{rbac}/v1", "metadata": {"name": "viewers", "namespace": ns},
            "roleRef": {"apiGroup": rbac, "kind": "Role", "name": "pod-reader"},
            "subjects": [{"apiGroup": rbac, "kind": "Group", "name": "mcp:viewer"}]}})
        await ok(admin, "create_resource", {"manifest": {
            "kind": "RoleBinding", "apiVersion": f"{rbac}/v1", "metadata": {"name": "traps", "namespace": ns},
            "roleRef": {"apiGroup": rbac, "kind": "Role", "name": "secret-reader"},
            "subjects": [{"apiGroup": rbac, "kind": k, "name": n} for k, n in traps]}})
        await ok(admin, "create_resource", {"kind": "Secret", "metadata": {"name": "s", "namespace": ns}, "stringData": {"k": "v"}})

    port = free_port()
    with serve(runtime_bin, components_subset(tmp_path / "components", "kubernetes"), jwt_config(kube_cluster["KUBECONFIG_ADMIN"], port), tmp_path, port=port) as server:
        def bearer(**c):
            return {"Authorization": "Bearer " + mint(claims(server.base, **c))}

        async def can(c, verb, resource, namespace=None):
            args = {"verb": verb, "resourceGroup": "", "resourceResource": resource}
            if namespace:
                args["namespace"] = namespace
            return json_of(await c.call_tool("kubernetes_check_permissions", args))["allowed"]

        async with client(server.base, bearer(sub="mallory", roles=["viewer", "system:masters"])) as mallory:
            pods = json_of(await mallory.call_tool("kubernetes_list_resources", {"kind": "Pod", "namespace": ns}))
            assert pods["count"] == 0, "the mapped group works"
            assert await can(mallory, "list", "pods", ns) is True
            assert await can(mallory, "list", "secrets", ns) is False
            assert await can(mallory, "delete", "nodes") is False
            assert await can(mallory, "list", "secrets") is False
            secrets = await mallory.call_tool("kubernetes_list_resources", {"kind": "Secret", "namespace": ns})
            assert secrets.is_error and 'User "mcp:mallory"' in text_of(secrets) and "secrets" in text_of(secrets), text_of(secrets)
            delete = await mallory.call_tool("kubernetes_delete_resource", {"kind": "Node", "name": node, "dry_run": True})
            assert delete.is_error and 'User "mcp:mallory"' in text_of(delete) and "nodes" in text_of(delete), text_of(delete)

        # A role spelled like the group, a near miss, a defined but unmapped role: no group.
        for roles in (["ops", "mcp:viewer"], ["ops", "viewer "], ["ops", "Viewer"], ["ops"]):
            async with client(server.base, bearer(sub="eve", roles=roles)) as eve:
                r = await eve.call_tool("kubernetes_list_resources", {"kind": "Pod", "namespace": ns})
                assert r.is_error and 'User "mcp:eve"' in text_of(r) and "pods" in text_of(r), (roles, text_of(r))
                assert await can(eve, "list", "secrets", ns) is False

        # system: subjects never reach the cluster as themselves (nor as mcp:system:...).
        for subject in ("system:admin", "system:serviceaccount:kube-system:default", "System:Admin"):
            async with client(server.base, bearer(sub=subject, roles=["viewer", "system:masters"])) as sys:
                for tool, args in (("kubernetes_list_resources", {"kind": "Secret", "namespace": ns}),
                                   ("kubernetes_check_permissions", {"verb": "list", "resourceGroup": "", "resourceResource": "pods", "namespace": ns}),
                                   ("kubernetes_delete_resource", {"kind": "Node", "name": node, "dry_run": True})):
                    r = await sys.call_tool(tool, args)
                    msg = text_of(r)
                    assert r.is_error and "caller_system_subjects" in msg and "refused" in msg, (subject, tool, msg)

    async with kube() as admin:
        nodes = await ok(admin, "get_node_conditions", {"nodeName": node})
        assert nodes["conditions"], "the node is still there"
