"""The pack on another program's CI role, end to end (`nhi preflight`, the pack as its own process, prod's
config): a pinned GitHub trust passes; `repo:ORG/*`, a missing `aud` or StringLike on `sub` are blocked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from nhi.cli import main
from tests.conftest import REPO

PROGRAM = REPO / "tests" / "programs" / "ci_trust"
RULE = "iam-role-enforce-github-oidc-trust"


def preflight(tmp_path: Path, capsys: pytest.CaptureFixture[str], **changes: Any) -> tuple[int, set[str]]:
    stack = yaml.safe_load((PROGRAM / "Pulumi.test.yaml").read_text())
    for key, value in changes.items():
        if value is None:
            stack["config"].pop(f"ci-trust:{key}")
        else:
            stack["config"][f"ci-trust:{key}"] = value
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(yaml.safe_dump(stack))
    code = main(
        [
            "preflight",
            "--program",
            str(PROGRAM),
            "--stack-file",
            str(path),
            "--policy-pack",
            str(REPO / "policy"),
            "--policy-pack-config",
            str(REPO / "policy" / "config" / "prod.json"),
            "--format",
            "json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    return code, {d["policy"] for d in report["diagnostics"] if d["urn"].endswith("::deploy")}


def test_the_pack_blocks_unpinned_github_trust_and_passes_a_pinned_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert preflight(tmp_path, capsys) == (0, set())
    code, policies = preflight(tmp_path, capsys, subject="repo:acme/*")
    assert code == 1 and {RULE, "iam-role-disallow-wildcard-oidc-subject"} <= policies
    code, policies = preflight(tmp_path, capsys, audience=None)
    assert code == 1 and {RULE, "iam-role-enforce-oidc-trust-conditions"} <= policies
    code, policies = preflight(tmp_path, capsys, operator="StringLike")
    assert code == 1 and policies == {RULE}  # the generic OIDC rules accept StringLike without a wildcard


def pipeline_verdict(capsys: pytest.CaptureFixture[str], stack_file: Path, environment: str) -> tuple[int, set[str]]:
    code = main(
        [
            "preflight",
            "--stack-file",
            str(stack_file),
            "--policy-pack",
            str(REPO / "policy"),
            "--policy-pack-config",
            str(REPO / "policy" / "config" / f"{environment}.json"),
            "--format",
            "json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    return code, {d["policy"] for d in report["diagnostics"] if "DeployerIdentity" in d["urn"]}


def test_the_pipeline_identity_passes_prod_s_pack(capsys: pytest.CaptureFixture[str]) -> None:
    assert pipeline_verdict(capsys, REPO / "stacks" / "Pulumi.prod.yaml", "prod") == (0, set())


def test_prod_s_pack_refuses_identity_edits_by_the_pipeline_even_under_a_boundary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a permissions boundary the deploy role may create and edit roles; prod forbids exemptions, so the
    privilege-escalation rule blocks that there (docs/ci.md), and so does the identity-path rule, which sees the
    roles the pipeline could widen. Identities in prod stay an administrator's."""
    stack = yaml.safe_load((REPO / "stacks" / "Pulumi.prod.yaml").read_text())
    stack["config"]["nhi-platform:permissionsBoundaryArn"] = "arn:aws:iam::111122223333:policy/workload-boundary"
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(stack, sort_keys=False))
    blocked_by = {"iam-policy-disallow-privilege-escalation", "eks-identity-disallow-escalation-paths"}
    assert pipeline_verdict(capsys, path, "prod") == (1, blocked_by)
