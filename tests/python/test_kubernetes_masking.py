"""Credential masking against a real kube-apiserver: a ConfigMap holding
each shape the heuristics know (a URL with a password, properties, YAML,
JSON and `.env` files) and a Pod with such arguments and env values. With
`secrets = "redact"` (the default) no tool output shows a secret value while
the ordinary values stay visible; with `secrets = "allow"` everything shows."""

from __future__ import annotations

import json
import uuid

import pytest

from support.kube import call, needs_kube, ok
from support.mcp import text_of

pytestmark = [
    pytest.mark.anyio,
    needs_kube,
]


def secrets() -> dict[str, str]:
    return {k: f"{k}-{uuid.uuid4().hex[:12]}" for k in ("url", "props", "yaml", "json", "env", "arg", "flag", "envurl", "block", "cmd")}


def configmap(ns: str, s: dict[str, str]) -> dict:
    return {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "app-config", "namespace": ns}, "data": {
        "database_url": f"postgres://app:{s['url']}@db.internal:5432/shop",
        "application.properties": f"server.port=8080\nspring.datasource.password={s['props']}\nspring.application.name=shop\n",
        "application.yaml": f"server:\n  port: 8081\nspring:\n  datasource:\n    username: shop-user\n    password: {s['yaml']}\n"
                            f"tls:\n  privateKey: |\n    {s['block']}\n  mode: strict\n",
        "config.json": json.dumps({"endpoint": "https://api.example.com", "token": s["json"], "retries": 3}),
        ".env": f"LOG_LEVEL=debug\nAPI_KEY={s['env']}\n",
        "mode": "fast",
    }}


def pod(ns: str, s: dict[str, str]) -> dict:
    return {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "app", "namespace": ns}, "spec": {"containers": [{
        "name": "app", "image": "nginx:1",
        "command": ["sh", "-c", f"exec app --password {s['cmd']} --port 8080"],
        "args": [f"--password={s['arg']}", "--token", s["flag"], "--listen=0.0.0.0:8080"],
        "env": [{"name": "DATABASE_URL", "value": f"mysql://root:{s['envurl']}@mysql:3306/app"},
                {"name": "LOG_FORMAT", "value": "json-lines"}],
    }]}}


ORDINARY = ["db.internal:5432/shop", "server.port=8080", "spring.application.name=shop", "shop-user", "port: 8081",
            "mode: strict", "https://api.example.com", "LOG_LEVEL=debug", "fast", "--listen=0.0.0.0:8080", "json-lines",
            "mysql:3306/app", "--port 8080", "REDACTED"]


def blob(r) -> str:
    return text_of(r) + json.dumps(r.structured_content or {})


async def outputs(client, ns: str) -> dict[str, object]:
    return {
        "get configmap": await call(client, "get_resource", {"kind": "ConfigMap", "name": "app-config", "namespace": ns}),
        "list configmaps": await call(client, "list_resources", {"kind": "ConfigMap", "namespace": ns, "full": True}),
        "describe configmap": await call(client, "describe_resource", {"kind": "ConfigMap", "name": "app-config", "namespace": ns}),
        "get pod": await call(client, "get_resource", {"kind": "Pod", "name": "app", "namespace": ns}),
        "list pods": await call(client, "list_resources", {"kind": "Pod", "namespace": ns, "full": True}),
        "list_full pods": await call(client, "list_resources_full", {"kind": "Pod", "namespace": ns}),
        "describe pod": await call(client, "describe_resource", {"kind": "Pod", "name": "app", "namespace": ns}),
    }


async def test_no_output_shows_a_credential_and_ordinary_values_stay(kube, namespace):
    ns, s = namespace, secrets()
    async with kube() as client:
        await ok(client, "create_resource", {"manifest": configmap(ns, s)})
        await ok(client, "create_resource", {"manifest": pod(ns, s)})
        got = await outputs(client, ns)
        seen = ""
        for what, r in got.items():
            assert not r.is_error, (what, text_of(r))
            text = blob(r)
            leaked = [k for k, v in s.items() if v in text]
            assert not leaked, f"{what} shows {leaked}: {text[:2000]}"
            seen += text
        structured = blob(got["get configmap"]) + blob(got["get pod"]) + blob(got["list configmaps"])
        for value in ORDINARY:
            assert value in structured, f"{value!r} is masked too: {structured[:3000]}"
        assert "--token" in blob(got["get pod"]) and "nginx:1" in blob(got["get pod"])
        assert "fast" in text_of(got["describe configmap"]) + seen


async def test_allow_shows_everything(kube, namespace, tmp_path):
    ns, s = namespace, secrets()
    config = tmp_path / "allow.toml"
    config.write_text('[kubernetes]\nsecrets = "allow"\n')
    async with kube() as client:
        await ok(client, "create_resource", {"manifest": configmap(ns, s)})
        await ok(client, "create_resource", {"manifest": pod(ns, s)})
    async with kube(None, "--config", str(config)) as client:
        got = await outputs(client, ns)
        text = "".join(blob(r) for r in got.values())
        assert all(v in text for v in s.values()), [k for k, v in s.items() if v not in text]
        assert "REDACTED" not in text
