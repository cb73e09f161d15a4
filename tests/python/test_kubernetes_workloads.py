"""Workload tools beyond the basics against the real kube-apiserver: rollout
undo, dry runs on every mutating tool, YAML output and port forwarding."""

from __future__ import annotations

import os

import pytest

from support.kube import call, deployment, needs_kube, ok, poll
from support.mcp import text_of

pytestmark = [
    pytest.mark.anyio,
    needs_kube,
]


async def image_of(client, kind: str, name: str, ns: str) -> str:
    got = await ok(client, "get_resource", {"kind": kind, "name": name, "namespace": ns, "jsonpath": "{.spec.template.spec.containers[0].image}"})
    return got["value"]


async def test_rollout_undo_deployment(kube, namespace):
    ns = namespace
    async with kube() as client:
        await ok(client, "create_resource", {"manifest": deployment("web", ns)})
        # Revision 1 exists once the controller made its ReplicaSet.
        await poll(
            lambda: ok(client, "list_resources", {"kind": "ReplicaSet", "namespace": ns, "labelSelector": "app=web"}),
            lambda r: r["count"] == 1,
        )
        patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:2"}]}}}}
        await ok(client, "patch_resource", {"kind": "Deployment", "name": "web", "namespace": ns, "patch": patch, "patchType": "strategic"})
        await poll(
            lambda: ok(client, "list_resources", {"kind": "ReplicaSet", "namespace": ns, "labelSelector": "app=web"}),
            lambda r: r["count"] == 2,
        )
        await poll(
            lambda: ok(client, "get_resource", {"kind": "Deployment", "name": "web", "namespace": ns, "jsonpath": "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"}),
            lambda r: r["value"] == "2",
        )

        dry = await ok(client, "rollout_undo", {"kind": "Deployment", "name": "web", "namespace": ns, "dry_run": True})
        assert dry["dryRun"] and dry["toRevision"] == 1 and dry["images"] == ["nginx:1"], dry
        assert await image_of(client, "Deployment", "web", ns) == "nginx:2"

        undone = await ok(client, "rollout_undo", {"kind": "Deployment", "name": "web", "namespace": ns})
        assert undone["fromRevision"] == 2 and undone["toRevision"] == 1, undone
        assert await image_of(client, "Deployment", "web", ns) == "nginx:1"

        missing = await call(client, "rollout_undo", {"kind": "Deployment", "name": "web", "namespace": ns, "toRevision": 42})
        assert missing.is_error and "no revision 42" in text_of(missing), text_of(missing)
        wrong = await call(client, "rollout_undo", {"kind": "ConfigMap", "name": "web", "namespace": ns})
        assert wrong.is_error and "Deployment, StatefulSet or DaemonSet" in text_of(wrong)


async def test_rollout_undo_statefulset(kube, namespace):
    ns = namespace
    sts = deployment("db", ns)
    sts["kind"] = "StatefulSet"
    sts["spec"]["serviceName"] = "db"
    async with kube() as client:
        await ok(client, "create_resource", {"manifest": sts})
        await poll(
            lambda: ok(client, "list_resources", {"kind": "ControllerRevision", "namespace": ns}),
            lambda r: r["count"] == 1,
        )
        patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "postgres:16"}]}}}}
        await ok(client, "patch_resource", {"kind": "StatefulSet", "name": "db", "namespace": ns, "patch": patch, "patchType": "strategic"})
        await poll(
            lambda: ok(client, "list_resources", {"kind": "ControllerRevision", "namespace": ns}),
            lambda r: r["count"] == 2,
        )
        undone = await ok(client, "rollout_undo", {"kind": "sts", "name": "db", "namespace": ns})
        assert undone["toRevision"] == 1 and undone["source"].startswith("ControllerRevision/"), undone
        assert await image_of(client, "StatefulSet", "db", ns) == "nginx:1"


async def test_dry_run_on_mutating_tools(kube, namespace):
    ns = namespace
    async with kube() as client:
        await ok(client, "create_resource", {"manifest": deployment("api", ns, replicas=1)})
        scaled = await ok(client, "scale_resource", {"kind": "Deployment", "name": "api", "namespace": ns, "replicas": 3, "dry_run": True})
        assert scaled["dryRun"] and scaled["replicas"] == 3
        restarted = await ok(client, "restart_workload", {"kind": "Deployment", "name": "api", "namespace": ns, "dry_run": True})
        assert restarted["dryRun"]
        cm = {"kind": "ConfigMap", "metadata": {"name": "ghost", "namespace": ns}, "data": {"a": "1"}}
        await ok(client, "create_resource", {**cm, "dry_run": True})
        obj = await ok(client, "get_resource", {"kind": "Deployment", "name": "api", "namespace": ns})
        assert obj["spec"]["replicas"] == 1
        assert "kubectl.kubernetes.io/restartedAt" not in (obj["spec"]["template"]["metadata"].get("annotations") or {})
        ghost = await call(client, "get_resource", {"kind": "ConfigMap", "name": "ghost", "namespace": ns})
        assert ghost.is_error and "not found" in text_of(ghost).lower()
        # and for real
        scaled = await ok(client, "scale_resource", {"kind": "Deployment", "name": "api", "namespace": ns, "replicas": 2})
        assert not scaled["dryRun"] and scaled["replicas"] == 2


async def test_yaml_output(kube, namespace):
    ns = namespace
    async with kube() as client:
        await ok(client, "create_resource", {"kind": "ConfigMap", "metadata": {"name": "settings", "namespace": ns}, "data": {"mode": "fast"}})
        got = await call(client, "get_resource", {"kind": "ConfigMap", "name": "settings", "namespace": ns, "output": "yaml"})
        text = text_of(got)
        assert not got.is_error and "kind: ConfigMap" in text and "mode: fast" in text and "{" not in text.splitlines()[0], text
        listed = await call(client, "list_resources_summary", {"kind": "ConfigMap", "namespace": ns, "output": "yaml"})
        assert not listed.is_error and "name: settings" in text_of(listed), text_of(listed)
        bad = await call(client, "get_resource", {"kind": "ConfigMap", "name": "settings", "namespace": ns, "output": "xml"})
        assert bad.is_error and "json` or `yaml" in text_of(bad)


async def test_port_forward_is_gated_bounded_and_loopback_only(kube, kube_cluster, namespace, tmp_path):
    ns = namespace
    pod = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "pf", "namespace": ns},
           "spec": {"nodeName": kube_cluster["KUBE_FAKE_NODE"], "containers": [{"name": "app", "image": "nginx:1"}]}}
    args = {"podName": "pf", "namespace": ns, "localPort": 0, "podPort": 80}
    async with kube() as client:
        await ok(client, "create_resource", {"manifest": pod})
        await poll(
            lambda: ok(client, "get_resource", {"kind": "Pod", "name": "pf", "namespace": ns, "jsonpath": "{.status.phase}"}),
            lambda r: r["value"] == "Running",
        )
        off = await call(client, "port_forward", args)
        assert off.is_error and "allow_port_forward" in text_of(off), text_of(off)
    cfg = tmp_path / "config.toml"
    cfg.write_text("[kubernetes]\nallow_port_forward = true\nport_forward_max_seconds = 30\n")
    async with kube(None, "--config", str(cfg)) as client:
        public = await call(client, "port_forward", {**args, "address": "0.0.0.0"})
        assert public.is_error and "loopback" in text_of(public)
        bad = await call(client, "port_forward", {**args, "podPort": 0})
        assert bad.is_error and "podPort" in text_of(bad)
        missing = await call(client, "port_forward", {**args, "podName": "nope"})
        assert missing.is_error and "not found" in text_of(missing).lower(), text_of(missing)
        # The test cluster's kubelet is a stub without streaming: the forward is
        # tried before the call returns, so the answer is a clear error.
        stub = await call(client, "port_forward", args)
        assert stub.is_error and "could not open a port forward" in text_of(stub), text_of(stub)


async def test_credential_like_values_are_masked(kube, namespace):
    ns = namespace
    secret = "pw-" + os.urandom(6).hex()
    dep = deployment("creds", ns)
    dep["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "DB_PASSWORD", "value": secret}, {"name": "LOG_LEVEL", "value": "debug"}]
    async with kube() as client:
        await ok(client, "create_resource", {"manifest": dep})
        await ok(client, "create_resource", {"kind": "ConfigMap", "metadata": {"name": "smtp", "namespace": ns},
                                             "data": {"smtp_password": secret, "host": "mail.example"}})
        outputs = [
            await call(client, "get_resource", {"kind": "Deployment", "name": "creds", "namespace": ns}),
            await call(client, "list_resources", {"kind": "Deployment", "namespace": ns, "full": True}),
            await call(client, "describe_resource", {"kind": "Deployment", "name": "creds", "namespace": ns}),
            await call(client, "get_resource", {"kind": "ConfigMap", "name": "smtp", "namespace": ns, "output": "yaml"}),
            await call(client, "list_resources_full", {"kind": "ConfigMap", "namespace": ns}),
        ]
        for r in outputs:
            assert not r.is_error, text_of(r)
            assert secret not in text_of(r) and secret not in str(r.structured_content), text_of(r)[:500]
        env = (await ok(client, "get_resource", {"kind": "Deployment", "name": "creds", "namespace": ns}))["spec"]["template"]["spec"]["containers"][0]["env"]
        assert env[1]["value"] == "debug" and env[0]["value"] != secret
