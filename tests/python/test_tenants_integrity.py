"""Component integrity: a pinned component whose bytes changed is refused,
signatures by a trusted ed25519 key over the digest are checked, and a
tenant requiring signatures never sees an unsigned component."""

from __future__ import annotations

import base64
import hashlib
import subprocess

import anyio
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from support.frontdoor import api_key, client, serve
from support.tenants import tenant_components

pytestmark = pytest.mark.anyio

KEYS = {"strict": "strict-key-c3RyaWN0", "relaxed": "relaxed-key-cmVsYXhlZA"}


def digest(path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def sign(key: Ed25519PrivateKey, wasm) -> None:
    (wasm.parent / (wasm.name + ".sig")).write_text(base64.b64encode(key.sign(digest(wasm))).decode())


def public(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def start(runtime_bin, components, config_path):
    return subprocess.run(
        [str(runtime_bin), "serve", "--transport", "http", "--listen", "127.0.0.1:0", "--components", str(components),
         "--config", str(config_path), "--cache-dir", str(config_path.parent.parent / "wasm-cache")],
        capture_output=True, text=True, timeout=120,
    )


def test_tampered_pinned_component_is_refused(runtime_bin, tmp_path):
    components = tenant_components(tmp_path)
    wasm = components / "utilities.wasm"
    config = tmp_path / "pinned.toml"
    config.write_text(f'[components.utilities]\nsha256 = "{digest(wasm).hex()}"\n')
    listed = subprocess.run([str(runtime_bin), "components", "list", str(components), "--config", str(config)],
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and "utilities (6 tools)" in listed.stdout, listed.stderr
    # An appended custom section ("tamp"): still a loadable component, other bytes.
    data = bytearray(wasm.read_bytes())
    data += b"\x00\x05\x04tamp"
    wasm.write_bytes(bytes(data))
    # It is left out (everything else serves), or with sandbox.strict stops the start.
    listed = subprocess.run([str(runtime_bin), "components", "list", str(components), "--config", str(config)],
                            capture_output=True, text=True, timeout=120)
    assert "utilities failed: integrity" in listed.stdout and "prometheus (" in listed.stdout, listed.stdout
    assert "components.utilities.sha256" in listed.stdout and "component refused" in listed.stdout, listed.stdout
    config.write_text("[sandbox]\nstrict = true\n" + config.read_text())
    r = start(runtime_bin, components, config)
    assert r.returncode != 0
    assert "components.utilities.sha256" in r.stderr and "component refused" in r.stderr, r.stderr


def test_signatures_are_checked_and_required_per_tenant(runtime_bin, tmp_path):
    key, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    components = tenant_components(tmp_path)
    sign(key, components / "utilities.wasm")
    sign(stranger, components / "prometheus.wasm")
    keys = "".join(api_key(t, k, tenant=t) + "\n" for t, k in KEYS.items())
    config = f"""
[sandbox]
trusted_keys = ["{public(key)}"]

{keys}
[tenants.strict]
require_signatures = true

[tenants.relaxed]
"""
    listed = subprocess.run([str(runtime_bin), "components", "list", str(components), "--config",
                             str(_write(tmp_path / "c.toml", config))], capture_output=True, text=True, timeout=120)
    assert "signed: yes" in listed.stdout and "signed: no" in listed.stdout, listed.stdout
    with serve(runtime_bin, components, config, tmp_path) as s:
        async def names(tenant):
            async with client(s.base, {"X-API-Key": KEYS[tenant]}) as c:
                return {t.name for t in (await c.list_tools()).tools}

        strict = anyio.run(names, "strict")
        relaxed = anyio.run(names, "relaxed")
    assert "utilities_get_time" in strict and not any(n.startswith("prometheus_") for n in strict)
    assert "utilities_get_time" in relaxed and "prometheus_query" in relaxed
    # Required everywhere: the component signed by an untrusted key is left
    # out, or with sandbox.strict stops the start.
    required = f'[sandbox]\ntrusted_keys = ["{public(key)}"]\nrequire_signatures = true\n'
    listed = subprocess.run([str(runtime_bin), "components", "list", str(components), "--config",
                             str(_write(tmp_path / "global.toml", required))], capture_output=True, text=True, timeout=120)
    assert "prometheus failed: integrity" in listed.stdout and "does not verify" in listed.stdout, listed.stdout
    assert "utilities (6 tools)" in listed.stdout, listed.stdout
    r = start(runtime_bin, components, _write(tmp_path / "global.toml", required + "strict = true\n"))
    assert r.returncode != 0 and "prometheus" in r.stderr and "does not verify" in r.stderr, r.stderr


def _write(path, text):
    path.write_text(text)
    return path
