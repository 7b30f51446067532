"""moto on loopback as the live account, the prod capture it is seeded from, and `nhi audit` run as its own
process against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from moto.server import ThreadedMotoServer

from nhi.preflight.capture import Capture
from tests.components.moto_iam import resource_resolvers
from tests.conftest import REPO, capture_stack

from .live_account import ACCOUNT, LiveAccount

FAKE_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "example-only"}


def _post(url: str, data: bytes = b"") -> None:
    """moto's own control API (reset, reset-auth), as its set_initial_no_auth_action_count does in server mode."""
    requests.post(url, data=data, timeout=10).raise_for_status()


@pytest.fixture(scope="session")
def prod_capture() -> Capture:
    return capture_stack("prod")


@pytest.fixture
def live_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveAccount]:
    """A fresh moto account 111122223333 with AWS's managed policies, on 127.0.0.1 (an ephemeral port)."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    _post(f"{url}/moto-api/reset")
    try:
        with resource_resolvers():
            yield LiveAccount(url, dict(FAKE_KEYS))
    finally:
        _post(f"{url}/moto-api/reset-auth", b"inf")
        _post(f"{url}/moto-api/reset")
        server.stop()


def authorisation_on(account: LiveAccount) -> None:
    """From now on moto judges every request by the caller's IAM policies (its server-mode reset-auth)."""
    _post(f"{account.url}/moto-api/reset-auth", b"0")


def run_audit(account: LiveAccount, credentials: dict[str, str], *which: str) -> tuple[int, dict[str, Any], str]:
    """`nhi audit --stack prod --endpoint-url URL --format json` (or `which` stack instead) as its own process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        credentials, AWS_DEFAULT_REGION="eu-west-1", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull
    )
    done = subprocess.run(
        [
            *(sys.executable, "-m", "nhi", "audit", *(which or ("--stack", "prod"))),
            *("--endpoint-url", account.url, "--format", "json"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
    return done.returncode, report, done.stderr
