"""zizmor (pinned in requirements-dev.txt), offline, at its auditor persona, finds nothing in the workflows; and it
does find the pull-request problem issue 18 started from (a stored token in a job that runs the pull request's code),
so that a clean result means something. `make test` runs the same command before pytest."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
ZIZMOR = Path(sys.executable).with_name("zizmor")


def audit(*paths: Path) -> list[dict[str, object]]:
    result = subprocess.run(
        [str(ZIZMOR), "--offline", "--persona", "auditor", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 10, 11, 12, 13, 14), result.stderr  # 1x: findings of that severity
    findings: list[dict[str, object]] = json.loads(result.stdout or "[]")
    return findings


def test_zizmor_finds_nothing_in_the_workflows() -> None:
    assert [finding["ident"] for finding in audit(WORKFLOWS)] == []


def test_zizmor_finds_a_stored_token_in_the_pull_request_job(tmp_path: Path) -> None:
    shutil.copy(WORKFLOWS / "pull-request.yml", tmp_path / "pull-request.yml")
    text = (tmp_path / "pull-request.yml").read_text()
    text = text.replace(
        "PULUMI_BACKEND_URL: ${{ vars.PULUMI_BACKEND_URL }}", "PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}"
    )
    (tmp_path / "pull-request.yml").write_text(text)
    assert "secrets-outside-env" in {finding["ident"] for finding in audit(tmp_path / "pull-request.yml")}
