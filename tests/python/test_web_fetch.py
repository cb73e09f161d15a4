"""utilities_web_fetch against a loopback origin that the operator allowed
through the config file (`components.utilities.allow_http`)."""

from __future__ import annotations

import pytest

from support.mcp import json_of, stdio_client, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def allow_origin_config(tmp_path_factory, origin):
    cfg = tmp_path_factory.mktemp("webfetch") / "config.toml"
    cfg.write_text(f'[components.utilities]\nallow_http = ["{origin}"]\n')
    return cfg


async def test_html_is_reduced_to_text(runtime_bin, components_dir, allow_origin_config, origin):
    async with stdio_client(runtime_bin, components_dir, "--config", str(allow_origin_config)) as client:
        page = json_of(await client.call_tool("utilities_web_fetch", {"url": f"{origin}/page"}))
        data = json_of(await client.call_tool("utilities_web_fetch", {"url": f"{origin}/json"}))
        cut = json_of(await client.call_tool("utilities_web_fetch", {"url": f"{origin}/long", "max_chars": 25}))
        missing = json_of(await client.call_tool("utilities_web_fetch", {"url": f"{origin}/nothing-here"}))
    assert page["status"] == 200 and page["content_type"].startswith("text/html")
    assert "Hello & welcome" in page["body"] and "Second paragraph." in page["body"]
    assert "alert" not in page["body"] and "color:red" not in page["body"] and "<p>" not in page["body"]
    assert data["body"] == '{"ok": true}'
    assert cut["body"] == "abcdefghij" * 2 + "abcde" and cut["truncated"] is True
    assert missing["status"] == 404


async def test_redirect_to_a_denied_host_is_rechecked(runtime_bin, components_dir, allow_origin_config, origin):
    async with stdio_client(runtime_bin, components_dir, "--config", str(allow_origin_config)) as client:
        ok = json_of(await client.call_tool("utilities_web_fetch", {"url": f"{origin}/redirect?to=/json"}))
        assert ok["body"] == '{"ok": true}' and ok["url"].endswith("/json")
        bad = await client.call_tool(
            "utilities_web_fetch", {"url": f"{origin}/redirect?to=http://169.254.169.254/latest/meta-data/"}
        )
    assert bad.is_error
    assert "169.254.169.254" in text_of(bad) and "denied" in text_of(bad)


async def test_other_loopback_ports_stay_denied(runtime_bin, components_dir, allow_origin_config, origin):
    port = int(origin.rsplit(":", 1)[1])
    other = f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}/"
    async with stdio_client(runtime_bin, components_dir, "--config", str(allow_origin_config)) as client:
        result = await client.call_tool("utilities_web_fetch", {"url": other})
    assert result.is_error and "no egress rule allows" in text_of(result), text_of(result)
