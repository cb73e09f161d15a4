"""JWTs signed with asymmetric keys: ES256 keys published as a JWKS by a
loopback issuer, an RS256 public key from a PEM file; tokens signed by
anyone else, or with an algorithm the server did not configure, are refused."""

from __future__ import annotations

import http.server
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm

from support.frontdoor import ISSUER, KEYS, auth_config, claims, client, mint, raw_post, serve, utilities_only
from support.loopback import serving
from support.runtime import free_port

pytestmark = pytest.mark.anyio

EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Jwks(http.server.BaseHTTPRequestHandler):
    fetches = 0

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path != "/jwks.json":
            self.send_response(404)
            self.end_headers()
            return
        Jwks.fetches += 1
        jwk = json.loads(ECAlgorithm.to_jwk(EC_KEY.public_key()))
        body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "ES256"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def issuer():
    with serving(Jwks) as url:
        yield url


@pytest.fixture(scope="module")
def server(runtime_bin, tmp_path_factory, issuer):
    tmp = tmp_path_factory.mktemp("jwt")
    components = utilities_only(tmp)
    pem = tmp / "rsa.pem"
    pem.write_bytes(
        RSA_KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    port = free_port()
    config = f"""
[auth]
resource = "http://127.0.0.1:{port}/mcp"
[auth.jwt]
jwks_url = "{issuer}/jwks.json"
public_keys = ["file:{pem}"]
issuer = "{ISSUER}"
"""
    with serve(runtime_bin, components, config, tmp, port=port) as s:
        yield s


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_es256_from_jwks_and_rs256_from_pem_are_accepted(server):
    es = mint(claims(server.base, sub="es-user"), key=EC_KEY, algorithm="ES256", headers={"kid": "k1"})
    async with client(server.base, bearer(es)) as c:
        assert not (await c.call_tool("utilities_get_date", {})).is_error
    rs = mint(claims(server.base, sub="rs-user"), key=RSA_KEY, algorithm="RS256")
    async with client(server.base, bearer(rs)) as c:
        assert not (await c.call_tool("utilities_get_date", {})).is_error
    assert Jwks.fetches >= 1


@pytest.mark.parametrize("case", ["other_ec_key", "other_rsa_key", "hs256_with_public_key", "expired", "wrong_audience"])
def test_tokens_not_from_the_issuer_are_refused(server, case):
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    c = claims(server.base)
    token = {
        "other_ec_key": lambda: mint(c, key=OTHER_EC_KEY, algorithm="ES256", headers={"kid": "k1"}),
        "other_rsa_key": lambda: mint(
            c, key=rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256"
        ),
        # Algorithm confusion: the public key used as an HMAC secret.
        "hs256_with_public_key": lambda: _hmac_with(public_pem, c),
        "expired": lambda: mint(claims(server.base, exp=c["iat"] - 600), key=EC_KEY, algorithm="ES256",
                                headers={"kid": "k1"}),
        "wrong_audience": lambda: mint(claims(server.base, aud="http://other/mcp"), key=EC_KEY, algorithm="ES256",
                                       headers={"kid": "k1"}),
    }[case]()
    r = raw_post(server.base, bearer(token))
    assert r.status_code == 401, r.text


def _hmac_with(secret: bytes, c: dict) -> str:
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(c).encode())
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


async def test_the_clients_token_never_reaches_a_backend(runtime_bin, tmp_path, origin):
    """A tool's outbound request carries no trace of the caller's credential."""
    components = utilities_only(tmp_path)
    port = free_port()
    extra = f'\n[components.utilities]\nallow_http = ["{origin}"]\n'
    with serve(runtime_bin, components, auth_config(port, tmp_path / "audit.log", extra), tmp_path, port=port) as s:
        token = mint(claims(s.base, sub="token-holder"))
        for headers in ({"Authorization": f"Bearer {token}"}, {"X-API-Key": KEYS["ops"]}):
            async with client(s.base, headers) as c:
                result = await c.call_tool("utilities_web_fetch", {"url": f"{origin}/api/v1/status/buildinfo"})
                body = "\n".join(getattr(b, "text", "") for b in result.content)
                assert not result.is_error, body
                seen = json.loads(json.loads(body)["body"])["data"]["seen"]
                assert seen["authorization"] is None, seen
                assert token not in body and KEYS["ops"] not in body
