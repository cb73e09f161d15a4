"""Summary lists are the API server's table rendering, against the real
kube-apiserver: a custom resource's printer columns, rows across all
namespaces carrying their namespace, labels on request, and a
credential-like printer column masked."""

from __future__ import annotations

import uuid

import pytest

from support.kube import call, needs_kube, ok, poll
from support.mcp import text_of

pytestmark = [
    pytest.mark.anyio,
    needs_kube,
]


def widget_crd(group: str) -> dict:
    column = lambda name, path, ty="string", priority=0: {"name": name, "jsonPath": path, "type": ty, "priority": priority}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{
                "name": "v1", "served": True, "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                "additionalPrinterColumns": [
                    column("Size", ".spec.size", "integer"),
                    column("Admin Token", ".spec.adminToken"),
                    column("Owner", ".spec.owner", priority=1),
                    column("Age", ".metadata.creationTimestamp", "date"),
                ],
            }],
        },
    }


async def test_custom_resource_rows_follow_its_printer_columns(kube, namespace):
    ns, group = namespace, f"t{uuid.uuid4().hex[:8]}.example.com"
    api_version = f"{group}/v1"
    async with kube() as client:
        await ok(client, "create_resource", {"manifest": widget_crd(group)})
        try:
            # served once the CRD is established; the new kind is found without waiting out the discovery cache
            await poll(
                lambda: call(client, "list_resources", {"kind": "Widget", "apiVersion": api_version, "namespace": ns}),
                lambda r: not r.is_error,
                timeout=30,
            )
            for name, size, owner in (("small", 1, None), ("large", 9, "team-a")):
                spec = {"size": size, "adminToken": "hunter2-secret-value", **({"owner": owner} if owner else {})}
                await ok(client, "create_resource", {"manifest": {
                    "apiVersion": api_version, "kind": "Widget",
                    "metadata": {"name": name, "namespace": ns, "labels": {"size": str(size)}}, "spec": spec}})

            r = await call(client, "list_resources", {"kind": "widgets", "apiVersion": api_version, "namespace": ns})
            assert not r.is_error, text_of(r)
            assert "hunter2" not in text_of(r), "a credential-like printer column is masked"
            listed = r.structured_content
            assert listed["columns"] == ["name", "size", "adminToken", "owner", "age"], listed["columns"]
            rows = {i["name"]: i for i in listed["items"]}
            assert rows["small"]["size"] == 1 and rows["large"]["size"] == 9
            assert rows["large"]["owner"] == "team-a" and "owner" not in rows["small"], "unset wide cells are left out"
            assert rows["small"]["adminToken"] == "***REDACTED***"
            assert "namespace" not in rows["small"] and listed["namespace"] == ns

            # all namespaces: each row names its namespace; labels on request
            everywhere = await ok(client, "list_resources_summary", {"kind": "Widget", "apiVersion": api_version, "includeLabels": True})
            mine = [i for i in everywhere["items"] if i.get("namespace") == ns]
            assert sorted(i["name"] for i in mine) == ["large", "small"], everywhere["items"]
            assert {i["name"]: i["labels"] for i in mine} == {"small": {"size": "1"}, "large": {"size": "9"}}

            # paging works on tables as on lists
            first = await ok(client, "list_resources", {"kind": "Widget", "apiVersion": api_version, "namespace": ns, "limit": 1})
            assert first["count"] == 1 and first["hasMore"] and first["remainingItemCount"] == 1
            second = await ok(client, "list_resources", {"kind": "Widget", "apiVersion": api_version, "namespace": ns, "limit": 1, "continueToken": first["continue"]})
            assert second["count"] == 1 and not second["hasMore"]
            assert {first["items"][0]["name"], second["items"][0]["name"]} == {"small", "large"}
        finally:
            await call(client, "delete_resource", {"kind": "CustomResourceDefinition", "name": f"widgets.{group}"})


async def test_pod_rows_are_kubectl_columns(kube, kube_cluster, namespace):
    ns = namespace
    async with kube() as client:
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo", "namespace": ns},
               "spec": {"nodeName": kube_cluster.get("KUBE_FAKE_NODE", "fake-node"), "containers": [{"name": "app", "image": "nginx:1"}]}}
        await ok(client, "create_resource", {"manifest": pod})
        listed = await poll(
            lambda: ok(client, "list_resources", {"kind": "Pod", "namespace": ns}),
            lambda r: r["count"] == 1 and r["items"][0]["status"] == "Running",
        )
        row = listed["items"][0]
        assert listed["columns"][:5] == ["name", "ready", "status", "restarts", "age"], listed["columns"]
        assert row["name"] == "solo" and row["ready"] == "1/1" and row["restarts"] == 0
        assert row["node"] == kube_cluster.get("KUBE_FAKE_NODE", "fake-node")
        # YAML output renders the same rows
        yaml = await call(client, "list_resources", {"kind": "Pod", "namespace": ns, "output": "yaml"})
        assert not yaml.is_error and "name: solo" in text_of(yaml) and "status: Running" in text_of(yaml)
