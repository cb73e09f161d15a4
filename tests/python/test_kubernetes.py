"""The kubernetes component against a real kube-apiserver (tests/backends/kube-up.sh:
etcd + kube-apiserver/controller-manager/scheduler + a fake node and kubelet).

scripts/test.sh runs them (K8S_MCP_KUBE_TESTS=1); the first kube-up.sh builds
Kubernetes from source (~5-10 min, cached in target/kube). The plane is
stopped at the end unless K8S_MCP_KUBE_KEEP=1."""

from __future__ import annotations

import json
import tempfile
import uuid

import pytest

from support.kube import call, deployment, needs_kube, ok, poll, runtime_env
from support.mcp import stdio_client, text_of

pytestmark = [
    pytest.mark.anyio,
    needs_kube,
]


async def test_create_list_get_describe(kube, namespace):
    ns = namespace
    async with kube() as client:
        dep = deployment("web", ns)
        made = await ok(client, "create_resource", {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": dep["metadata"], "spec": dep["spec"]})
        assert made["action"] == "created" and made["namespace"] == ns
        # dry run creates nothing
        dry = await ok(client, "create_resource", {"manifest": {"kind": "ConfigMap", "metadata": {"name": "dry", "namespace": ns}}, "dry_run": True})
        assert dry["dryRun"] is True
        missing = await call(client, "get_resource", {"kind": "ConfigMap", "name": "dry", "namespace": ns})
        assert missing.is_error and "not found" in text_of(missing).lower()
        for i in range(7):
            await ok(client, "create_resource", {"kind": "configmap", "metadata": {"name": f"cm-{i}", "namespace": ns, "labels": {"batch": "a"}}, "data": {"i": str(i)}})

        # pagination over more objects than `limit`
        seen, token, pages = [], None, 0
        while True:
            args = {"kind": "ConfigMap", "namespace": ns, "labelSelector": "batch=a", "limit": 3, "full": True}
            if token:
                args["continueToken"] = token
            page = await ok(client, "list_resources", args)
            pages += 1
            assert page["count"] <= 3
            unselected = await ok(client, "list_resources", {"kind": "ConfigMap", "namespace": ns, "limit": 1})
            assert unselected["hasMore"] and unselected["remainingItemCount"] >= 6
            seen += [i["metadata"]["name"] for i in page["items"]]
            assert all(i["kind"] == "ConfigMap" for i in page["items"])
            token = page["continue"]
            if pages == 1:
                # the API server reports remainingItemCount only for unselected lists
                assert page["hasMore"] and page["remainingItemCount"] in (None, 4)
            if not token:
                break
        assert sorted(seen) == [f"cm-{i}" for i in range(7)] and pages == 3

        # limit above the reference's cap of 80 is honoured (cap 500)
        big = await ok(client, "list_resources", {"kind": "ConfigMap", "namespace": ns, "limit": 200})
        assert {f"cm-{i}" for i in range(7)} <= {i["name"] for i in big["items"]} and big["continue"] is None
        # summary rows are the server's table: kubectl's columns (NAME DATA AGE)
        assert big["columns"] == ["name", "data", "age"], big["columns"]
        assert all(set(i) == {"name", "data", "age"} for i in big["items"]), big["items"][0]
        summary = await ok(client, "list_resources_summary", {"kind": "cm", "namespace": ns, "labelSelector": "batch=a", "includeLabels": True, "limit": 2})
        assert summary["count"] == 2 and summary["items"][0]["labels"] == {"batch": "a"} and summary["items"][0]["data"] == 1
        assert summary["hasMore"] and summary["continue"] and "namespace" not in summary["items"][0]
        full = await ok(client, "list_resources_full", {"kind": "ConfigMap", "namespace": ns, "fieldSelector": "metadata.name=cm-3"})
        assert full["items"][0]["data"] == {"i": "3"}

        # rollout becomes ready; the summary shows kind-specific status
        waited = await ok(client, "wait_for_resource", {"kind": "Deployment", "name": "web", "namespace": ns, "condition": "available", "timeoutSeconds": 60})
        assert waited["met"], waited
        s = await ok(client, "get_resource_summary", {"kind": "Deployment", "name": "web", "namespace": ns})
        assert s["status"]["desired"] == 1 and s["status"]["ready"] == 1
        pods = await ok(client, "list_resources_summary", {"kind": "Pod", "namespace": ns, "labelSelector": "app=web"})
        assert pods["items"][0]["status"] == "Running" and pods["items"][0]["ready"] == "1/1"

        # jsonpath: braces, bare dotted path, [index]
        for path in ("{.spec.template.spec.containers[0].image}", "spec.template.spec.containers[0].image"):
            got = await ok(client, "get_resource", {"kind": "deployments", "name": "web", "namespace": ns, "jsonpath": path})
            assert got["value"] == "nginx:1"
        phase = await ok(client, "get_resource", {"kind": "Pod", "name": pods["items"][0]["name"], "namespace": ns, "jsonpath": "{.status.phase}"})
        assert phase["value"] == "Running"
        ready = await ok(client, "get_resource", {"kind": "Pod", "name": pods["items"][0]["name"], "namespace": ns, "jsonpath": '{.status.conditions[?(@.type=="Ready")].status}'})
        assert ready["value"] == "True"
        images = await ok(client, "list_resources", {"kind": "Pod", "namespace": ns, "jsonpaths": ["spec.containers[*].image", "status.phase"]})
        assert images["items"][0]["spec.containers[*].image"] == ["nginx:1"] and images["items"][0]["status.phase"] == "Running"
        bad = await call(client, "get_resource", {"kind": "Deployment", "name": "web", "namespace": ns, "jsonpath": "spec.nope"})
        assert bad.is_error and "spec.nope" in text_of(bad)

        # describe: text with conditions and the object's events
        desc = await call(client, "describe_resource", {"kind": "Deployment", "name": "web", "namespace": ns})
        text = text_of(desc)
        assert not desc.is_error and "Name:             web" in text
        assert "Conditions:" in text and "Available" in text
        assert "ScalingReplicaSet" in text

        # unknown kind -> clear error
        nokind = await call(client, "list_resources", {"kind": "Frobnicator"})
        assert nokind.is_error and "Frobnicator" in text_of(nokind)
        badlimit = await call(client, "list_resources", {"kind": "Pod", "limit": 0})
        assert badlimit.is_error and "limit" in text_of(badlimit)


async def test_scale_logs_events(kube, namespace):
    ns = namespace
    async with kube() as client:
        await ok(client, "create_resource", {"manifest": deployment("api", ns)})
        negative = await call(client, "scale_resource", {"kind": "Deployment", "name": "api", "namespace": ns, "replicas": -1})
        assert negative.is_error and "replicas" in text_of(negative)
        scaled = await ok(client, "scale_resource", {"kind": "Deployment", "name": "api", "namespace": ns, "replicas": 3})
        assert scaled["replicas"] == 3
        # the ReplicaSet and pods follow
        await poll(
            lambda: ok(client, "list_resources_summary", {"kind": "ReplicaSet", "namespace": ns, "labelSelector": "app=api"}),
            lambda r: r["count"] == 1 and r["items"][0]["ready"] == 3,
        )
        pods = await poll(
            lambda: ok(client, "list_resources_summary", {"kind": "Pod", "namespace": ns, "labelSelector": "app=api"}),
            lambda r: r["count"] == 3 and all(p["status"] == "Running" for p in r["items"]),
        )
        pod = pods["items"][0]["name"]
        logs = await ok(client, "get_pod_logs", {"name": pod, "namespace": ns, "tailLines": 2})
        assert logs["lines"] == 2 and f"from {ns}/{pod}/app" in logs["log"]
        logs = await ok(client, "get_pod_logs", {"podName": pod, "namespace": ns, "container": "app"})
        assert "fake-kubelet log line 1" in logs["log"]
        nopod = await call(client, "get_pod_logs", {"name": "nope", "namespace": ns})
        assert nopod.is_error and "nope" in text_of(nopod)

        events = await poll(
            lambda: ok(client, "get_events", {"namespace": ns}),
            lambda r: any(e["reason"] == "ScalingReplicaSet" for e in r["events"]),
        )
        assert all({"type", "reason", "message", "object"} <= e.keys() for e in events["events"])
        detail = await ok(client, "get_events_detail", {"namespace": ns, "includeNormalEvents": True, "limit": 2})
        assert detail["count"] == 2 and "involvedObject" in detail["events"][0]
        recent = await ok(client, "get_recent_events", {"namespace": ns})
        assert all(e["type"] != "Normal" for e in recent["events"])

        # rollout restart + status wait
        restarted = await ok(client, "restart_workload", {"kind": "Deployment", "name": "api", "namespace": ns})
        assert restarted["restartedAt"]
        annotated = await ok(client, "get_resource", {"kind": "Deployment", "name": "api", "namespace": ns, "jsonpath": "spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']"})
        assert annotated["value"] == restarted["restartedAt"]
        status = await ok(client, "get_rollout_status", {"kind": "Deployment", "name": "api", "namespace": ns, "wait": True, "timeoutSeconds": 90})
        assert status["complete"] and not status["timedOut"], status
        await poll(
            lambda: ok(client, "list_resources_summary", {"kind": "Pod", "namespace": ns, "labelSelector": "app=api"}),
            lambda r: r["count"] == 3 and all(p["status"] == "Running" for p in r["items"]),
        )

        # patch (merge, json, apply) and delete, then wait for deletion
        await ok(client, "create_resource", {"kind": "ConfigMap", "metadata": {"name": "conf", "namespace": ns}, "data": {"a": "1"}})
        await ok(client, "patch_resource", {"kind": "ConfigMap", "name": "conf", "namespace": ns, "patch": {"data": {"b": "2"}}})
        await ok(client, "patch_resource", {"kind": "ConfigMap", "name": "conf", "namespace": ns, "patchType": "json", "patch": [{"op": "add", "path": "/data/c", "value": "3"}]})
        applied = await ok(client, "patch_resource", {"kind": "ConfigMap", "name": "conf", "namespace": ns, "patchType": "apply", "patch": {"data": {"d": "4"}}})
        assert applied["patchType"] == "apply"
        data = await ok(client, "get_resource", {"kind": "ConfigMap", "name": "conf", "namespace": ns, "jsonpath": "data"})
        assert data["value"] == {"a": "1", "b": "2", "c": "3", "d": "4"}
        badpatch = await call(client, "patch_resource", {"kind": "ConfigMap", "name": "conf", "namespace": ns, "patchType": "json", "patch": {"x": 1}})
        assert badpatch.is_error and "array" in text_of(badpatch)
        dry = await ok(client, "delete_resource", {"kind": "ConfigMap", "name": "conf", "namespace": ns, "dry_run": True})
        assert dry["dryRun"]
        await ok(client, "get_resource", {"kind": "ConfigMap", "name": "conf", "namespace": ns})
        await ok(client, "delete_resource", {"kind": "ConfigMap", "name": "conf", "namespace": ns, "propagationPolicy": "Background"})
        gone = await ok(client, "wait_for_resource", {"kind": "ConfigMap", "name": "conf", "namespace": ns, "condition": "deleted", "timeoutSeconds": 30})
        assert gone["met"]


async def test_secrets_are_masked(kube, namespace):
    ns = namespace
    secret = "hunter2-" + uuid.uuid4().hex
    async with kube() as client:
        await ok(client, "create_resource", {"kind": "Secret", "metadata": {"name": "creds", "namespace": ns}, "stringData": {"password": secret}})
        outputs = [
            await call(client, "get_resource", {"kind": "Secret", "name": "creds", "namespace": ns}),
            await call(client, "get_resource_details", {"kind": "Secret", "name": "creds", "namespace": ns}),
            await call(client, "list_resources", {"kind": "Secret", "namespace": ns, "full": True}),
            await call(client, "list_resources_full", {"kind": "Secret", "namespace": ns}),
            await call(client, "describe_resource", {"kind": "Secret", "name": "creds", "namespace": ns}),
            await call(client, "get_resource", {"kind": "Secret", "name": "creds", "namespace": ns, "jsonpath": "data.password"}),
        ]
        import base64

        encoded = base64.b64encode(secret.encode()).decode()
        for r in outputs:
            assert not r.is_error, text_of(r)
            blob = text_of(r) + json.dumps(r.structured_content or {})
            assert secret not in blob and encoded not in blob
        assert "REDACTED" in json.dumps(outputs[0].structured_content)


async def test_permissions_admin_and_dev(kube, kube_cluster, namespace):
    ns = namespace
    async with kube() as admin:
        allowed = await ok(admin, "check_permissions", {"verb": "delete", "resourceGroup": "apps", "resourceResource": "deployments", "namespace": ns})
        assert allowed["allowed"] is True
    async with kube(kube_cluster["KUBECONFIG_DEV"]) as dev:
        denied = await ok(dev, "check_permissions", {"verb": "list", "resourceGroup": "", "resourceResource": "pods", "namespace": ns})
        assert denied["allowed"] is False
        r = await call(dev, "list_resources", {"kind": "Pod", "namespace": ns})
        msg = text_of(r)
        assert r.is_error and "forbidden" in msg.lower() and "list" in msg and "pods" in msg, msg
        r = await call(dev, "create_resource", {"kind": "ConfigMap", "metadata": {"name": "x", "namespace": ns}})
        assert r.is_error and "create" in text_of(r) and "configmaps" in text_of(r)


async def test_read_only_blocks_writes(kube, namespace):
    ns = namespace
    async with kube(None, "--read-only") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "kubernetes_list_resources" in names
        assert "kubernetes_create_resource" not in names and "kubernetes_delete_resource" not in names
        for tool, args in (
            ("create_resource", {"kind": "ConfigMap", "metadata": {"name": "ro", "namespace": ns}}),
            ("delete_resource", {"kind": "Namespace", "name": ns}),
        ):
            r = await call(client, tool, args)
            assert r.is_error, text_of(r)
        await ok(client, "list_resources_summary", {"kind": "Namespace"})
    # clap's bool env parser takes true/false (K8S_MCP_READ_ONLY=1 is refused at startup)
    async with kube(None, K8S_MCP_READ_ONLY="true") as client:
        r = await call(client, "delete_resource", {"kind": "Namespace", "name": ns})
        assert r.is_error
    async with kube() as client:
        still = await ok(client, "get_resource", {"kind": "Namespace", "name": ns, "jsonpath": "status.phase"})
        assert still["value"] == "Active"


async def test_cluster_level_tools(kube, kube_cluster):
    node = kube_cluster.get("KUBE_FAKE_NODE", "fake-node")
    async with kube() as client:
        versions = await ok(client, "get_api_versions", {})
        assert "v1" in versions["apiVersions"] and "apps/v1" in versions["apiVersions"]
        res = await ok(client, "get_api_resources", {"apiGroup": "apps", "namespaced": True})
        assert {"deployments", "statefulsets"} <= {r["name"] for r in res["resources"]}
        assert all(r["group"] == "apps" and r["namespaced"] for r in res["resources"])
        cond = await ok(client, "get_node_conditions", {"nodeName": node})
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in cond["conditions"])
        cordoned = await ok(client, "cordon_node", {"name": node})
        try:
            assert cordoned["unschedulable"] is True
        finally:
            un = await ok(client, "uncordon_node", {"name": node})
            assert un["unschedulable"] is False
        usage = await call(client, "get_resource_usage", {"resourceType": "nodes"})
        assert usage.is_error and "metrics API not available" in text_of(usage)


async def test_no_kubeconfig_is_a_clear_error(runtime_bin, components_dir, kube_cluster):
    with tempfile.TemporaryDirectory() as home:
        env = runtime_env(None, HOME=home)
        env.pop("KUBERNETES_SERVICE_HOST", None)
        async with stdio_client(runtime_bin, components_dir, env=env) as client:
            r = await call(client, "list_resources", {"kind": "Pod"})
            assert r.is_error and "not configured" in text_of(r).lower(), text_of(r)


async def test_diagnostics_and_batch_tools(kube, kube_cluster, namespace):
    ns = namespace
    async with kube() as client:
        await ok(client, "create_resource", {"manifest": deployment("shop", ns, replicas=2)})
        await ok(client, "create_resource", {"kind": "ConfigMap", "metadata": {"name": "shop-config", "namespace": ns}, "data": {"k": "v"}})
        await ok(client, "wait_for_resource", {"kind": "deploy", "name": "shop", "namespace": ns, "timeoutSeconds": 60})

        batch = await ok(client, "get_resources_detail", {"kind": "ConfigMap", "names": ["shop-config", "missing"], "namespace": ns, "includeEvents": True})
        assert [i["metadata"]["name"] for i in batch["items"]] == ["shop-config"] and batch["notFound"][0]["name"] == "missing"

        adv = await ok(client, "get_resource_detail_advanced", {"kind": "Deployment", "name": "shop", "namespace": ns, "outputFormat": "structured"})
        assert len(adv["relationships"]["pods"]) == 2 and "spec" in adv and adv["diagnostics"]["problem"] is None
        assert any(e["reason"] == "ScalingReplicaSet" for e in adv["events"])
        badfmt = await call(client, "get_resource_detail_advanced", {"kind": "Deployment", "name": "shop", "namespace": ns, "outputFormat": "yaml"})
        assert badfmt.is_error and "outputFormat" in text_of(badfmt)

        found = await ok(client, "search_resources", {"query": "SHOP", "namespace": ns, "resourceTypes": ["Deployment", "ConfigMap", "Pod"]})
        kinds = sorted({m["kind"] for m in found["matches"]})
        assert kinds == ["ConfigMap", "Deployment", "Pod"] and found["count"] == 4
        exact = await ok(client, "search_resources", {"name": "shop", "searchMode": "exact", "caseSensitive": True, "namespace": ns, "kind": "Deployment"})
        assert exact["count"] == 1

        healthy = await ok(client, "get_unhealthy_resources", {"namespace": ns})
        assert healthy["unhealthyCount"] == 0 and healthy["scanned"]["Pod"] == 2
        analysis = await ok(client, "analyze_issue", {"issueType": "deployment_unavailable", "resourceKind": "Deployment", "resourceName": "shop", "namespace": ns})
        assert analysis["resource"] == "Deployment/shop" and analysis["recommendations"]
        badissue = await call(client, "analyze_issue", {"issueType": "gremlins", "resourceKind": "Pod", "resourceName": "x"})
        assert badissue.is_error and "issueType" in text_of(badissue)

        # a condition that cannot hold times out cleanly (not an error)
        waited = await ok(client, "wait_for_resource", {"kind": "ConfigMap", "name": "shop-config", "namespace": ns, "condition": "deleted", "timeoutSeconds": 2, "pollIntervalSeconds": 1})
        assert waited["met"] is False and waited["timedOut"] is True

        # exec is gated by the runtime policy (off by default): its error passes through
        pods = await ok(client, "list_resources_summary", {"kind": "Pod", "namespace": ns})
        ex = await call(client, "pod_exec", {"podName": pods["items"][0]["name"], "namespace": ns, "command": ["ls"]})
        assert ex.is_error and "exec" in text_of(ex)

        # explicit context (the kubeconfig's only one) and an unknown one
        ctxs = await ok(client, "list_resources_summary", {"kind": "Namespace", "context": "", "limit": 1})
        assert ctxs["count"] == 1
        unknown = await call(client, "list_resources", {"kind": "Pod", "context": "no-such-context"})
        assert unknown.is_error and "no-such-context" in text_of(unknown)


async def test_drain_evicts_and_respects_disruption_budgets(kube, kube_cluster, namespace):
    ns, node = namespace, kube_cluster.get("KUBE_FAKE_NODE", "fake-node")
    pods_of = lambda client: ok(client, "list_resources_summary", {"kind": "Pod", "namespace": ns, "labelSelector": "app=guarded"})
    async with kube() as client:
        await ok(client, "create_resource", {"manifest": deployment("guarded", ns, replicas=2)})
        running = await poll(
            lambda: pods_of(client),
            lambda r: r["count"] == 2 and all(p["status"] == "Running" for p in r["items"]),
        )
        original = {p["name"] for p in running["items"]}
        plan = await ok(client, "drain_node", {"name": node, "dryRun": True, "timeoutSeconds": 5})
        assert plan["dryRun"] is True and original <= {e.split("/", 1)[1] for e in plan["evicted"]}
        assert (await ok(client, "get_node_conditions", {"nodeName": node}))["unschedulable"] is False
        pdb = {
            "kind": "PodDisruptionBudget", "apiVersion": "policy/v1beta1",
            "metadata": {"name": "guard", "namespace": ns},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "guarded"}}},
        }
        await ok(client, "create_resource", {"manifest": pdb})
        try:
            blocked = await call(client, "drain_node", {"name": node, "timeoutSeconds": 4})
            assert blocked.is_error and "timed out" in text_of(blocked) and "PodDisruptionBudget" in text_of(blocked), text_of(blocked)
            assert (await ok(client, "get_node_conditions", {"nodeName": node}))["unschedulable"] is True
            assert {p["name"] for p in (await pods_of(client))["items"]} >= original  # nothing evicted

            await ok(client, "delete_resource", {"kind": "PodDisruptionBudget", "apiVersion": "policy/v1beta1", "name": "guard", "namespace": ns})
            drained = await ok(client, "drain_node", {"name": node, "timeoutSeconds": 60})
            assert drained["cordoned"] is True and original <= {e.split("/", 1)[1] for e in drained["evicted"]}
            await poll(lambda: pods_of(client), lambda r: not original & {p["name"] for p in r["items"]})
        finally:
            await call(client, "uncordon_node", {"name": node})
        assert (await ok(client, "get_node_conditions", {"nodeName": node}))["unschedulable"] is False
