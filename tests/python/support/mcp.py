"""MCP clients of the Python SDK (over stdio and streamable HTTP), reading
their results, and polling a tool until its answer is what a test waits for."""

from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

# A raw JSON-RPC `initialize` request, for tests that speak HTTP without a client.
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}


def stdio_params(runtime: Path, components: Path, *extra: str, env: dict | None = None) -> StdioServerParameters:
    return StdioServerParameters(command=str(runtime), args=["serve", "--components", str(components), *extra], env=env)


@asynccontextmanager
async def stdio_client(runtime: Path, components: Path, *extra: str, mode: str = "legacy", env: dict | None = None):
    async with Client(stdio_params(runtime, components, *extra, env=env), mode=mode) as client:
        yield client


@asynccontextmanager
async def http_client(base: str, mode: str = "legacy"):
    async with Client(f"{base}/mcp", mode=mode) as client:
        yield client


def text_of(result) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def json_of(result) -> dict:
    """The structured result, checked against the text rendering."""
    assert not result.is_error, text_of(result)
    structured = result.structured_content
    assert isinstance(structured, dict), result
    assert json.loads(text_of(result)) == structured
    return structured


async def poll(fn, check, timeout: float = 30.0, interval: float = 0.5):
    """Call `fn` until `check(result)` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await fn()
        if check(result):
            return result
        if time.monotonic() > deadline:
            shown = text_of(result)[:2000] if hasattr(result, "content") else result
            raise AssertionError(f"condition not met within {timeout}s; last result: {shown}")
        await anyio.sleep(interval)
