"""A real OpenID Connect provider (panva's oidc-provider under node), started once per session.

Skipped on a machine without node or `npm ci`'s node_modules; under CI=true a missing part fails the tests.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_ID, CLIENT_SECRET = "community", "community-secret"
# the test client's external URLs: http://localhost/...
REDIRECT_URIS = ("http://localhost/sso/oidc/callback", "http://localhost/sso/brand/callback")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RealProvider:
    issuer: str
    process: subprocess.Popen

    def sign_in(self, authorize_url: str, login: str) -> str:
        """Sign in as `login` at the provider like a browser; return the URL it sends the browser back to."""
        browser = requests.Session()
        url, method, data = authorize_url, "GET", None
        for _hop in range(12):
            response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
            if response.is_redirect:
                url, method, data = urljoin(url, response.headers["Location"]), "GET", None
                if url.startswith("http://localhost/"):
                    return url
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
            assert response.status_code == 200 and form, response.text[:800]
            fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', response.text))
            url, method, data = urljoin(url, form.group(1)), "POST", {**fields, "login": login, "password": "any"}
        raise AssertionError("the provider never sent the browser back")


def _require_node() -> str:
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "node is missing (apt-get install nodejs)"
    elif not (ROOT / "node_modules" / "oidc-provider").is_dir():
        problem = "node_modules/oidc-provider is missing; run `npm ci`"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"SSO tests cannot run: {problem}", pytrace=False)
        pytest.skip(f"SSO tests skipped: {problem}")
    return node


@pytest.fixture(scope="session")
def oidc_provider():
    node = _require_node()
    port = _free_port()
    process = subprocess.Popen([node, str(SCRIPT), str(port), *REDIRECT_URIS], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline and not line.startswith("ready"):
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                pytest.fail("the OpenID provider exited at start", pytrace=False)
        yield RealProvider(issuer=f"http://127.0.0.1:{port}", process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def sso(app, oidc_provider):
    """The contract's environment provider (slug `oidc`) pointing at the real provider for this test."""
    keys = {"OIDC_ISSUER": oidc_provider.issuer, "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_NAME": "Brand ID"}
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(keys)
    yield oidc_provider
    app.config.update(saved)


def start(client, slug: str = "oidc", next_url: str | None = None) -> str:
    """Press "Sign in with ..." and return where it sends the browser (the provider's authorize URL)."""
    response = client.post(f"/sso/{slug}/start", data={"next": next_url} if next_url else {})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def query(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
