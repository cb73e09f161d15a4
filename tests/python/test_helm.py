"""The helm component against a real kube-apiserver (tests/backends/kube-up.sh)
and the real helm binary it installs ($HELM): releases installed by helm are
read through MCP, releases changed through MCP are checked with helm, charts
are rendered and served from a loopback chart repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from support.helm import CHART, call, err, helm, helm_json, ok, write_config
from support.helm import helm_components, helm_env, mcp, namespace, repo, work  # noqa: F401 (fixtures)
from support.kube import needs_kube
from support.mcp import text_of
from support.runtime import free_port

pytestmark = [
    pytest.mark.anyio,
    needs_kube,
]

async def test_reads_of_a_release_installed_by_helm(mcp, kube_cluster, namespace):
    ns = namespace
    helm(kube_cluster, "install", "shop", str(CHART), "-n", ns, "--set", "message=from-cli")
    async with mcp() as client:
        listed = await ok(client, "list_releases", {"namespace": ns})
        assert [(r["name"], r["status"], r["revision"], r["chart"]) for r in listed["releases"]] == [("shop", "deployed", 1, "demo-0.1.0")]
        everywhere = await ok(client, "list_releases", {"all_namespaces": True})
        assert any(r["name"] == "shop" and r["namespace"] == ns for r in everywhere["releases"])

        status = await ok(client, "get_release_status", {"name": "shop", "namespace": ns})
        expected = helm_json(kube_cluster, "status", "shop", "-n", ns)
        assert status["status"] == expected["info"]["status"] == "deployed"
        assert status["revision"] == expected["version"] and "says from-cli" in status["notes"]

        values = await ok(client, "get_release_values", {"name": "shop", "namespace": ns})
        assert values["values"] == helm_json(kube_cluster, "get", "values", "shop", "-n", ns) == {"message": "from-cli"}
        all_values = await ok(client, "get_release_values", {"name": "shop", "namespace": ns, "all": True})
        assert all_values["values"] == helm_json(kube_cluster, "get", "values", "shop", "-n", ns, "--all")

        manifest = await ok(client, "get_release_manifest", {"name": "shop", "namespace": ns})
        assert manifest["manifest"].strip() == helm(kube_cluster, "get", "manifest", "shop", "-n", ns).stdout.strip()

        history = await ok(client, "get_release_history", {"name": "shop", "namespace": ns})
        assert [(h["revision"], h["status"]) for h in history["history"]] == [(1, "deployed")]

        full = await ok(client, "get_release", {"name": "shop", "namespace": ns})
        assert full["chart"]["metadata"]["name"] == "demo" and "templates/configmap.yaml" in full["chart"]["templates"]
        summary = await ok(client, "get_release_summary", {"name": "shop", "namespace": ns})
        assert summary["resources"] == 2 and summary["userValues"] == 1

        resources = await ok(client, "get_resources_of_release", {"name": "shop", "namespace": ns, "includeStatus": True})
        kinds = {(r["kind"], r["name"]): r["status"]["exists"] for r in resources["resources"]}
        assert kinds == {("ConfigMap", "shop-config"): True, ("Deployment", "shop-web"): True}

        by_chart = await ok(client, "find_releases_by_chart", {"chart_name": "demo", "chart_version": "0.1.0"})
        assert any(r["name"] == "shop" for r in by_chart["releases"])
        none = await ok(client, "find_releases_by_chart", {"chart_name": "demo", "chart_version": "9.9.9"})
        assert not any(r["name"] == "shop" for r in none["releases"])
        by_labels = await ok(client, "find_releases_by_labels", {"labelSelector": "name=shop,status=deployed", "namespace": ns})
        assert [r["name"] for r in by_labels["releases"]] == ["shop"]
        by_owner = await ok(client, "find_releases_by_labels", {"labelSelector": "owner=helm", "namespace": ns})
        assert [r["name"] for r in by_owner["releases"]] == ["shop"]
        assert (await ok(client, "find_releases_by_labels", {"labelSelector": "status=failed", "namespace": ns}))["releases"] == []
        assert "owner" in await err(client, "find_releases_by_labels", {"labelSelector": "owner!=helm", "namespace": ns})

        valid = await ok(client, "validate_release", {"name": "shop", "namespace": ns})
        assert valid["valid"] is True and valid["errors"] == []
        overview = await ok(client, "cluster_overview", {})
        assert overview["byNamespace"][ns] == 1 and overview["byChart"]["demo-0.1.0"] >= 1
        quick = await ok(client, "quick_info", {})
        assert quick["totalReleases"] >= 1

        # a second release, then paging
        helm(kube_cluster, "install", "shop2", str(CHART), "-n", ns)
        first = await ok(client, "list_releases_paginated", {"namespace": ns, "limit": 1, "includeLabels": "true"})
        assert first["count"] == 1 and first["total"] == 2 and first["continueToken"] == "offset:1"
        assert first["releases"][0]["labels"]["owner"] == "helm"
        second = await ok(client, "list_releases_paginated", {"namespace": ns, "limit": 1, "continueToken": first["continueToken"]})
        assert second["hasMore"] is False and second["releases"][0]["name"] != first["releases"][0]["name"]
        in_ns = await ok(client, "list_releases_in_namespace", {"namespace": ns})
        assert sorted(r["name"] for r in in_ns["releases"]) == ["shop", "shop2"]
        summ = await ok(client, "list_releases_summary", {"namespace": ns, "limit": 5, "offset": 1})
        assert summ["count"] == 1 and summ["total"] == 2

        # clear errors
        missing = await err(client, "get_release_status", {"name": "nope", "namespace": ns})
        assert "not found" in missing and "nope" in missing
        bad = await call(client, "get_release_status", {"name": "Bad_Name", "namespace": ns})
        assert bad.is_error and "not a valid release name" in text_of(bad)


async def test_upgrade_rollback_uninstall_through_mcp(mcp, kube_cluster, namespace):
    ns = namespace
    helm(kube_cluster, "install", "app", str(CHART), "-n", ns)
    async with mcp() as client:
        up = await ok(client, "upgrade_release", {"name": "app", "chart": str(CHART), "namespace": ns, "values": {"message": "upgraded", "replicaCount": 2}})
        assert up["revision"] == 2 and up["status"] == "deployed" and up["values"] == {"message": "upgraded", "replicaCount": 2}
        assert helm_json(kube_cluster, "get", "values", "app", "-n", ns) == {"message": "upgraded", "replicaCount": 2}
        hist = helm_json(kube_cluster, "history", "app", "-n", ns)
        assert [(h["revision"], h["status"]) for h in hist] == [(1, "superseded"), (2, "deployed")]

        diff = await ok(client, "compare_revisions", {"name": "app", "namespace": ns, "revision1": 1, "revision2": 2})
        assert sorted(diff["differences"]["valuesChanged"]) == ["message", "replicaCount"]
        assert diff["differences"]["manifestChanged"] is True and diff["differences"]["chartChanged"] is False

        back = await ok(client, "rollback_release", {"name": "app", "namespace": ns})
        assert back["revision"] == 3 and back["status"] == "deployed"
        hist = helm_json(kube_cluster, "history", "app", "-n", ns)
        assert [(h["revision"], h["status"]) for h in hist] == [(1, "superseded"), (2, "superseded"), (3, "deployed")]
        assert hist[-1]["description"] == "Rollback to 1"
        assert helm_json(kube_cluster, "get", "values", "app", "-n", ns) in (None, {})  # helm prints null
        listed = await ok(client, "list_releases", {"namespace": ns})
        assert [(r["name"], r["revision"], r["status"]) for r in listed["releases"]] == [("app", 3, "deployed")]
        paged = await ok(client, "get_release_history_paginated", {"name": "app", "namespace": ns, "limit": 2})
        assert [h["revision"] for h in paged["history"]] == [3, 2] and paged["continueToken"] == "offset:2"

        to_two = await ok(client, "rollback_release", {"name": "app", "namespace": ns, "revision": 2})
        assert to_two["revision"] == 4
        assert helm_json(kube_cluster, "get", "values", "app", "-n", ns)["message"] == "upgraded"
        nope = await err(client, "rollback_release", {"name": "app", "namespace": ns, "revision": 42})
        assert "no revision 42" in nope

        # upgrade --install of a release that does not exist yet
        assert "not found" in await err(client, "upgrade_release", {"name": "fresh", "chart": str(CHART), "namespace": ns})
        fresh = await ok(client, "upgrade_release", {"name": "fresh", "chart": str(CHART), "namespace": ns, "install": True})
        assert fresh["revision"] == 1 and helm_json(kube_cluster, "status", "fresh", "-n", ns)["info"]["status"] == "deployed"

        gone = await ok(client, "uninstall_release", {"name": "app", "namespace": ns})
        assert gone["uninstalled"] is True
        assert [r["name"] for r in helm_json(kube_cluster, "list", "-n", ns, "--all")] == ["fresh"]
        assert "not found" in await err(client, "get_release_status", {"name": "app", "namespace": ns})
        assert "not found" in await err(client, "uninstall_release", {"name": "app", "namespace": ns})


async def test_install_through_mcp_is_readable_by_helm(mcp, kube_cluster, namespace, work):
    ns = namespace
    values_file = work / "root" / f"values-{ns}.yaml"
    values_file.write_text("message: from-file\nreplicaCount: 3\n")
    async with mcp() as client:
        made = await ok(client, "install_release", {"name": "web", "chart": str(CHART), "namespace": ns, "values_file": str(values_file), "values": "message: inline-wins\n"})
        assert made["revision"] == 1 and made["status"] == "deployed" and made["chart"] == "demo-0.1.0"
        status = helm_json(kube_cluster, "status", "web", "-n", ns)
        assert status["info"]["status"] == "deployed" and status["version"] == 1
        assert helm_json(kube_cluster, "get", "values", "web", "-n", ns) == {"message": "inline-wins", "replicaCount": 3}
        env = dict(os.environ, KUBECONFIG=kube_cluster["KUBECONFIG_ADMIN"])
        cm = subprocess.run([kube_cluster["KUBECTL"], "get", "configmap", "web-config", "-n", ns, "-o", "json"], capture_output=True, text=True, env=env, check=True)
        assert json.loads(cm.stdout)["data"]["message"] == "inline-wins"

        # a values file named relative to the tenant's files folder
        files = work / "state" / "tenants" / "default" / "files"
        (files / "rel-values.yaml").write_text("message: relative\n")
        rel = await ok(client, "upgrade_release", {"name": "web", "chart": str(CHART), "namespace": ns, "values_file": "rel-values.yaml"})
        assert rel["revision"] == 2 and helm_json(kube_cluster, "get", "values", "web", "-n", ns) == {"message": "relative"}
        assert "not found" in await err(client, "upgrade_release", {"name": "web", "chart": str(CHART), "namespace": ns, "values_file": "nope.yaml"})

        dry = await ok(client, "install_release", {"name": "web-dry", "chart": str(CHART), "namespace": ns, "dry_run": True})
        assert dry["dryRun"] is True and "kind: Deployment" in dry["manifest"]
        assert helm(kube_cluster, "status", "web-dry", "-n", ns, check=False).returncode != 0

        again = await err(client, "install_release", {"name": "web", "chart": str(CHART), "namespace": ns})
        assert "re-use a name" in again
        outside = await err(client, "install_release", {"name": "x", "chart": str(CHART), "namespace": ns, "values_file": "/etc/hostname"})
        assert "outside" in outside and "file roots" in outside
        escape = await err(client, "install_release", {"name": "x", "chart": "../" * 40 + "etc", "namespace": ns})
        assert "outside" in escape
        missing = await err(client, "install_release", {"name": "x", "chart": "no-such-chart", "namespace": ns})
        assert "not found" in missing and "no-such-chart" in missing
        bad = await call(client, "install_release", {"name": "x", "chart": "--kubeconfig=/etc/passwd", "namespace": ns})
        assert bad.is_error and "invalid chart reference" in text_of(bad)


async def test_secret_values_are_masked_in_release_manifests(mcp, kube_cluster, namespace):
    ns = namespace
    helm(kube_cluster, "install", "sec", str(CHART), "-n", ns, "--set", "secret.enabled=true,secret.password=hunter2")
    assert "hunter2" in helm(kube_cluster, "get", "manifest", "sec", "-n", ns).stdout
    async with mcp() as client:
        manifest = (await ok(client, "get_release_manifest", {"name": "sec", "namespace": ns}))["manifest"]
        assert "hunter2" not in manifest and "aHVudGVyMg==" not in manifest and "***REDACTED***" in manifest
        assert "kind: Secret" in manifest and "name: sec-config" in manifest
        full = await ok(client, "get_release", {"name": "sec", "namespace": ns})
        assert "hunter2" not in full["manifest"] and "***REDACTED***" in full["manifest"]
        objects = await ok(client, "get_resources_of_release", {"name": "sec", "namespace": ns})
        assert {"Secret", "ConfigMap", "Deployment"} == {r["kind"] for r in objects["resources"]}
        dry = await ok(client, "upgrade_release", {"name": "sec", "chart": str(CHART), "namespace": ns, "dry_run": True, "values": {"secret": {"enabled": True, "password": "other-pass"}}})
        assert "other-pass" not in dry["manifest"] and "***REDACTED***" in dry["manifest"]


async def test_template_matches_helm_template(mcp, kube_cluster, work):
    values_file = work / "root" / "template-values.yaml"
    values_file.write_text("image:\n  tag: '1.27'\nreplicaCount: 4\n")
    async with mcp() as client:
        out = await ok(client, "template_chart", {"name": "tpl", "chart": str(CHART), "namespace": "tpl-ns", "values_file": str(values_file), "values": {"message": "templated"}})
    expected = helm(kube_cluster, "template", "tpl", str(CHART), "--namespace", "tpl-ns", "-f", str(values_file), "--set", "message=templated").stdout
    assert out["manifest"] == expected
    assert out["objects"] == ["ConfigMap/tpl-config", "Deployment/tpl-web"]
    assert "nginx:1.27" in out["manifest"] and "replicas: 4" in out["manifest"]


async def test_failed_release_is_reported_as_broken(mcp, kube_cluster, namespace):
    ns = namespace
    failed = helm(kube_cluster, "install", "broken", str(CHART), "-n", ns, "--set", "invalidName=true", check=False)
    assert failed.returncode != 0 and "Invalid_Name" in failed.stderr
    async with mcp() as client:
        broken = await ok(client, "find_broken_releases", {"namespace": ns})
        assert [(r["name"], r["status"]) for r in broken["releases"]] == [("broken", "failed")]
        recent = await ok(client, "get_recent_failures", {"namespace": ns})
        assert recent["releases"][0]["name"] == "broken" and "Invalid_Name" in recent["releases"][0]["description"]
        check = await ok(client, "validate_release", {"name": "broken", "namespace": ns})
        assert check["valid"] is False and any("failed" in e for e in check["errors"])
        by_status = await ok(client, "list_releases_paginated", {"namespace": ns, "status": "failed"})
        assert [r["name"] for r in by_status["releases"]] == ["broken"]


async def test_chart_repository(mcp, kube_cluster, namespace, repo, work):
    served, url = repo
    helm(kube_cluster, "package", str(CHART), "-d", str(served))
    helm(kube_cluster, "repo", "index", str(served), "--url", url)
    async with mcp() as client:
        assert (await ok(client, "list_repos", {}))["repositories"] == []
        added = await ok(client, "add_repository", {"name": "local", "url": url})
        assert added["added"] is True
        repos = await ok(client, "list_repos", {})
        assert repos["repositories"] == [{"name": "local", "url": url}]
        found = await ok(client, "search_charts", {"keyword": "demo"})
        assert [(c["name"], c["version"]) for c in found["charts"]] == [("local/demo", "0.1.0")]
        assert (await ok(client, "search_charts", {"query": "no-such-thing"}))["charts"] == []
        info = await ok(client, "get_chart_info", {"chart": "local/demo"})
        assert info["name"] == "demo" and info["description"].startswith("A small test chart") and info["versions"] == ["0.1.0"]
        stats = await ok(client, "cache_stats", {})
        assert "local" in stats["indexes"] and stats["files"] >= 1

        # a new chart version appears after update_repositories
        v2 = work / "demo-v2"
        shutil.copytree(CHART, v2)
        (v2 / "Chart.yaml").write_text((v2 / "Chart.yaml").read_text().replace("version: 0.1.0", "version: 0.2.0"))
        helm(kube_cluster, "package", str(v2), "-d", str(served))
        helm(kube_cluster, "repo", "index", str(served), "--url", url)
        assert [c["version"] for c in (await ok(client, "search_charts", {"keyword": "demo"}))["charts"]] == ["0.1.0"]
        updated = await ok(client, "update_repositories", {})
        assert [r["name"] for r in updated["updated"]] == ["local"]
        assert [c["version"] for c in (await ok(client, "search_charts", {"keyword": "demo"}))["charts"]] == ["0.2.0"]
        every = await ok(client, "search_charts", {"keyword": "demo", "versions": True})
        assert sorted(c["version"] for c in every["charts"]) == ["0.1.0", "0.2.0"]

        # install from the repository, pinned to the older version
        made = await ok(client, "install_release", {"name": "fromrepo", "chart": "local/demo", "version": "0.1.0", "namespace": namespace})
        assert made["chart"] == "demo-0.1.0"
        assert helm_json(kube_cluster, "status", "fromrepo", "-n", namespace)["info"]["status"] == "deployed"

        # chart archives by URL: allowed origin renders, others are refused before helm runs
        by_url = await ok(client, "template_chart", {"name": "u", "chart": f"{url}/demo-0.1.0.tgz", "namespace": "x"})
        assert by_url["objects"] == ["ConfigMap/u-config", "Deployment/u-web"]
        far = f"http://127.0.0.1:{free_port()}/demo-0.1.0.tgz"
        assert "no egress rule" in await err(client, "template_chart", {"name": "u", "chart": far, "namespace": "x"})
        assert "no egress rule" in await err(client, "install_release", {"name": "u", "chart": "oci://127.0.0.2:5000/charts/demo", "namespace": namespace})

        # an index may point chart archives at another host: checked too
        mirror = served / "mirror"
        mirror.mkdir()
        helm(kube_cluster, "package", str(CHART), "-d", str(mirror))
        elsewhere = f"http://127.0.0.1:{free_port()}"
        helm(kube_cluster, "repo", "index", str(mirror), "--url", elsewhere)
        await ok(client, "add_repository", {"name": "mirror", "url": f"{url}/mirror"})
        assert [c["name"] for c in (await ok(client, "search_charts", {"keyword": "mirror/"}))["charts"]] == ["mirror/demo"]
        refused = await err(client, "install_release", {"name": "viamirror", "chart": "mirror/demo", "namespace": namespace})
        assert "chart archive of `mirror/demo`" in refused and elsewhere in refused and "no egress rule" in refused
        assert elsewhere in await err(client, "get_chart_info", {"chart": "mirror/demo"})
        await ok(client, "remove_repository", {"name": "mirror"})

        # another origin is not in the egress policy
        other = f"http://127.0.0.1:{free_port()}"
        denied = await err(client, "add_repository", {"name": "other", "url": other})
        assert "denied" in denied and "egress" not in denied.split(":")[0]
        assert "no egress rule" in denied

        cleared = await ok(client, "clear_cache", {})
        assert cleared["removedFiles"] >= 1
        assert (await ok(client, "cache_stats", {}))["files"] == 0
        removed = await ok(client, "remove_repository", {"name": "local"})
        assert removed["removed"] is True
        assert (await ok(client, "list_repos", {}))["repositories"] == []
        assert "no repository named" in await err(client, "remove_repository", {"name": "local"})

    # repositories are per tenant
    async with mcp() as client:
        await ok(client, "add_repository", {"name": "mine", "url": url})
    async with mcp(config=write_config(work, url, tenant="other-team")) as other:
        assert (await ok(other, "list_repos", {}))["repositories"] == []
    async with mcp() as client:
        assert [r["name"] for r in (await ok(client, "list_repos", {}))["repositories"]] == ["mine"]
        await ok(client, "remove_repository", {"name": "mine"})


async def test_read_only_modes_refuse_changes(mcp, kube_cluster, namespace, work, repo):
    ns = namespace
    helm(kube_cluster, "install", "ro", str(CHART), "-n", ns)
    async with mcp("--read-only") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "helm_list_releases" in names and "helm_install_release" not in names and "helm_rollback_release" not in names
        r = await call(client, "install_release", {"name": "x", "chart": str(CHART), "namespace": ns})
        assert r.is_error
        assert (await ok(client, "get_release_status", {"name": "ro", "namespace": ns}))["status"] == "deployed"
    # the cluster policy's read-only mode is enforced by the runtime's helm capability
    async with mcp(config=write_config(work, repo[1], kube_read_only=True)) as client:
        refused = await err(client, "install_release", {"name": "x", "chart": str(CHART), "namespace": ns})
        assert "read-only" in refused
        assert "read-only" in await err(client, "uninstall_release", {"name": "ro", "namespace": ns})
        assert (await ok(client, "list_releases", {"namespace": ns}))["releases"][0]["name"] == "ro"
        # rendering changes nothing and stays allowed
        assert (await ok(client, "template_chart", {"name": "t", "chart": str(CHART), "namespace": ns}))["objects"]
    assert helm_json(kube_cluster, "status", "ro", "-n", ns)["info"]["status"] == "deployed"


async def test_health_missing_binary_and_grant(mcp, kube_cluster, work):
    async with mcp() as client:
        health = await ok(client, "health_check", {})
        assert health["healthy"] is True, health
        version = helm(kube_cluster, "version", "--short").stdout.strip()
        assert health["checks"]["client"]["details"]["version"] == version
    async with mcp(with_helm=False) as client:
        r = await err(client, "install_release", {"name": "x", "chart": str(CHART), "namespace": "default"})
        assert "helm binary not configured" in r
        health = await ok(client, "health_check", {"checkKubernetes": False})
        assert health["healthy"] is False and "helm binary not configured" in health["checks"]["client"]["error"]
        # release reads need no helm binary
        assert "releases" in await ok(client, "list_releases", {})
    # helm runs with a cleared environment plus `pass_env`
    fake = work / "fake-helm"
    fake.write_text('#!/bin/sh\necho "fake $HELM_TEST_PASSED ${HELM_TEST_SECRET:-absent} $HOME"\n')
    fake.chmod(0o755)
    cfg = write_config(work, None)
    cfg.write_text(cfg.read_text().replace("[helm]\n", '[helm]\npass_env = ["HELM_TEST_PASSED"]\n'))
    async with mcp(config=cfg, HELM_BINARY=str(fake), HELM_TEST_PASSED="yes", HELM_TEST_SECRET="leaked") as client:
        health = await ok(client, "health_check", {"checkKubernetes": False})
        version = health["checks"]["client"]["details"]["version"]
        assert version.startswith("fake yes absent ") and version.endswith("/tenants/default"), version
    # the capability is granted per component
    cfg = write_config(work, None)
    cfg.write_text(cfg.read_text().replace("[helm]\n", '[helm]\ncomponents = ["someone-else"]\n'))
    async with mcp(config=cfg) as client:
        assert "not granted Helm access" in await err(client, "list_releases", {})
        assert "not granted Helm access" in await err(client, "list_repos", {})


async def test_cluster_policy_applies_to_helm(mcp, kube_cluster, namespace, work, repo):
    ns = namespace
    helm(kube_cluster, "install", "pol", str(CHART), "-n", ns)
    helm(kube_cluster, "install", "elsewhere", str(CHART), "-n", "default", "--set", "message=other")
    try:
        # only `ns` is allowed: other namespaces are neither listed nor writable
        only = write_config(work, repo[1], kube=f'allowed_namespaces = ["{ns}"]')
        async with mcp(config=only) as client:
            everywhere = await ok(client, "list_releases", {"all_namespaces": True})
            assert [(r["name"], r["namespace"]) for r in everywhere["releases"]] == [("pol", ns)]
            assert "not among the allowed namespaces" in await err(client, "get_release_status", {"name": "elsewhere", "namespace": "default"})
            assert "not among the allowed namespaces" in await err(client, "uninstall_release", {"name": "elsewhere", "namespace": "default"})
            up = await ok(client, "upgrade_release", {"name": "pol", "chart": str(CHART), "namespace": ns, "values": {"message": "allowed"}})
            assert up["revision"] == 2
        # a chart rendering a denied kind is refused before helm touches the cluster
        no_cm = write_config(work, repo[1], kube='denied_kinds = ["ConfigMap"]')
        async with mcp(config=no_cm) as client:
            refused = await err(client, "install_release", {"name": "nocm", "chart": str(CHART), "namespace": ns})
            assert "ConfigMap" in refused and "denied by policy" in refused
        assert helm(kube_cluster, "status", "nocm", "-n", ns, check=False).returncode != 0
        # Secrets denied: release records are Secrets, so Helm is refused too
        no_secrets = write_config(work, repo[1], kube='secrets = "deny"')
        async with mcp(config=no_secrets) as client:
            assert "Secrets" in await err(client, "list_releases", {"namespace": ns})
            assert "Secrets" in await err(client, "rollback_release", {"name": "pol", "namespace": ns})
        # impersonation reaches helm: `dev` has no RBAC rights
        as_dev = write_config(work, repo[1], kube='impersonate_user = "dev"')
        async with mcp(config=as_dev) as client:
            assert "forbidden" in (await err(client, "list_releases", {"namespace": ns})).lower()
            denied = await err(client, "install_release", {"name": "asdev", "chart": str(CHART), "namespace": ns})
            assert "forbidden" in denied.lower() and "dev" in denied
        assert helm(kube_cluster, "status", "asdev", "-n", ns, check=False).returncode != 0
        assert helm_json(kube_cluster, "get", "values", "pol", "-n", ns) == {"message": "allowed"}
    finally:
        helm(kube_cluster, "uninstall", "elsewhere", "-n", "default", check=False)
