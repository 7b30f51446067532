"""`nhi inventory` from the command line: formats on stdout or a file, and errors as one paragraph, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nhi.cli import main


def test_json_on_stdout_and_markdown_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "--stack", "dev", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["stack"] == "dev"
    workloads = {"edge/gateway", "shop/checkout", "shop/cart", "payments/payments", "payments/ledger", "payments/fraud"}
    # Each workload's own account, its rollout gate's account, and the VPC CNI add-on's.
    assert {i["name"] for i in data["identities"] if i["kind"] == "k8s-service-account"} == (
        workloads | {f"{w}-gate" for w in workloads} | {"kube-system/aws-node"}
    )
    out = tmp_path / "inventory.md"
    assert main(["inventory", "--stack", "dev", "--format", "markdown", "--output", str(out)]) == 0
    # The Markdown counts the same identities the JSON lists.
    assert out.read_text().startswith(f"### Non-human identities of `nhi-platform` / `dev` ({len(data['identities'])})")


def test_an_unknown_stack_is_one_paragraph_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "--stack", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nhi inventory: No stack file for stack 'nope'") and "Traceback" not in err
