"""`nhi revoke`: the revocation time lands in the stack file, and the program then denies older sessions on exactly
the revoked role (as the preflight captures it) and replaces that workload's pods; refusals leave the file as it
was."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from components.identity import revoke_older_sessions
from nhi.cli import main
from nhi.inventory.source import capture_stack
from nhi.preflight.capture import Capture
from nhi.revoke.record import KEY, record_revocation
from nhi_rules.contract import REVOKE_POLICY_NAME, SESSIONS_REVOKED_TAG
from tests.conftest import REPO

ROLE, ROLE_POLICY, DEPLOYMENT = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "kubernetes:apps/v1:Deployment"
W = "nhi-platform:workloads"


def config(path: Path) -> dict:
    return yaml.safe_load(path.read_text())["config"]


def revocation_policies(capture: Capture) -> dict[str, dict]:
    """Role name (as the role's URN ends) -> the deny-older-sessions document attached to it."""
    roles = {r.urn: r for r in capture.of_type(ROLE)}
    return {
        roles[p.property_dependencies["role"][0]].name: json.loads(p.inputs["policy"])
        for p in capture.of_type(ROLE_POLICY)
        if p.inputs.get("name") == REVOKE_POLICY_NAME
    }


def pod_annotations(capture: Capture) -> dict[str, dict]:
    return {
        d.inputs["metadata"]["name"]: d.inputs["spec"]["template"]["metadata"].get("annotations") or {}
        for d in capture.of_type(DEPLOYMENT)
    }


def test_revoking_a_workload_denies_older_sessions_on_exactly_its_role_and_replaces_its_pods(
    prod: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["revoke", "--stack-file", str(prod), "--workload", "checkout"]) == 0
    printed = capsys.readouterr().out
    checkout = next(w for w in config(prod)[W] if w["name"] == "checkout")
    time = checkout[KEY]
    assert datetime.strptime(time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) <= datetime.now(UTC)
    assert [w["name"] for w in config(prod)[W] if KEY in w] == ["checkout"]
    assert f"nhi-platform:workloads[3].{KEY}" in printed and "pulumi up" in printed

    capture = capture_stack(REPO, stack_file=prod)

    assert revocation_policies(capture) == {"workloads-checkout-identity-role": revoke_older_sessions(time)}
    statement = revoke_older_sessions(time)["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Action"] == ["*"] and statement["Resource"] == ["*"]
    assert statement["Condition"] == {"DateLessThan": {"aws:TokenIssueTime": time}}
    role = next(r for r in capture.of_type(ROLE) if r.name == "workloads-checkout-identity-role")
    assert role.inputs["tags"][SESSIONS_REVOKED_TAG] == time
    annotated = {name: a for name, a in pod_annotations(capture).items() if a}
    assert annotated == {
        "checkout-blue": {SESSIONS_REVOKED_TAG: time},
        "checkout-green": {SESSIONS_REVOKED_TAG: time},
    }


def test_the_revoked_stack_passes_the_pack(prod: Path) -> None:
    """The deny statement is what the pack's revocation rule asks for, and no other rule objects to it."""
    record_revocation(prod, workload="payments", pipeline=None)
    code = main(
        [
            "preflight",
            "--stack-file",
            str(prod),
            "--policy-pack",
            "policy",
            "--policy-pack-config",
            "policy/config/prod.json",
        ]
    )
    assert code == 0


def test_revoking_the_pipeline_covers_its_deploy_and_preview_roles(prod: Path) -> None:
    assert main(["revoke", "--stack-file", str(prod), "--pipeline", "prod"]) == 0
    time = config(prod)["nhi-platform:ci"][KEY]
    policies = revocation_policies(capture_stack(REPO, stack_file=prod))
    assert policies == {
        "pipeline-deploy": revoke_older_sessions(time),
        "pipeline-preview": revoke_older_sessions(time),
    }


def test_a_second_revocation_moves_the_time(prod: Path) -> None:
    first = record_revocation(prod, workload="cart", pipeline=None, now=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    second = record_revocation(prod, workload="cart", pipeline=None, now=datetime(2026, 12, 2, 9, 30, tzinfo=UTC))
    assert (first.previous, second.previous, second.time) == (None, "2026-12-01T08:00:00Z", "2026-12-02T09:30:00Z")
    assert next(w for w in config(prod)[W] if w["name"] == "cart")[KEY] == "2026-12-02T09:30:00Z"
    assert prod.read_text().count(KEY) == 1


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--workload", "nobody"], "declares no workload 'nobody'"),
        (["--pipeline", "staging"], "holds the pipeline roles of environment 'prod' only"),
    ],
)
def test_refusals_leave_the_file_as_it_was(
    prod: Path, argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = prod.read_bytes()
    assert main(["revoke", "--stack-file", str(prod), *argv]) == 2
    assert says in capsys.readouterr().err
    assert prod.read_bytes() == before
