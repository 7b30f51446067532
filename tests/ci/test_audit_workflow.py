"""The scheduled audit (.github/workflows/audit.yml): each stack audited daily through its read-only preview role,
keyless (the job's GitHub environment is the subject the preview role trusts), SARIF to code scanning, and the job
failing on a finding at or above high. Schema, pins, secrets and least permissions are checked for every workflow
in tests/ci/test_workflows.py."""

from __future__ import annotations

import functools
import json
import re
import shlex
from typing import Any

import pytest
from ruamel.yaml import YAML

from components.deployer_identity import Environment, audit_environment, audit_subject
from nhi.cli import build_parser
from tests.conftest import REPO, STACKS, capture_stack, stack_settings

WORKFLOWS = REPO / ".github" / "workflows"
AUDIT, PULL_REQUEST = "audit.yml", "pull-request.yml"
CREDENTIALS = "aws-actions/configure-aws-credentials"
SARIF = "github/codeql-action/upload-sarif"


@functools.cache
def workflow(name: str) -> dict[str, Any]:
    # YAML 1.2, as GitHub reads it: `on` stays a key, not the boolean true.
    loaded: dict[str, Any] = YAML(typ="safe", pure=True).load((WORKFLOWS / name).read_text())
    return loaded


def jobs(name: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = workflow(name)["jobs"]
    return found


def run_text(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in job.get("steps", []))


def stack_script(job: dict[str, Any]) -> str:
    """The Python the job's `stack` step runs (the heredoc), which reads the roles from the stack file."""
    step = next(s for s in job["steps"] if s.get("id") == "stack")
    match = re.search(r"<<'PY'\n(?P<body>.*?)\nPY\n", step["run"], re.S)
    assert match is not None
    return match["body"]


AUDIT_JOB = jobs(AUDIT)["audit"]


def test_it_runs_daily_and_on_demand_never_for_pull_requests() -> None:
    triggers = workflow(AUDIT)["on"]
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    (schedule,) = triggers["schedule"]
    minute, hour, *every = schedule["cron"].split()
    assert every == ["*", "*", "*"] and minute.isdigit() and hour.isdigit()


def test_every_stack_is_audited_in_its_audit_environment() -> None:
    assert list(jobs(AUDIT)) == ["audit"]
    assert AUDIT_JOB["strategy"]["matrix"]["stack"] == list(STACKS)
    assert AUDIT_JOB["environment"] == "${{ matrix.stack }}-audit"
    for stack in STACKS:
        assert f"{stack}-audit" == audit_environment(stack_settings(stack).environment)


@pytest.mark.parametrize("stack", STACKS)
def test_the_preview_role_trusts_the_audit_job_and_only_read_only_subjects(stack: str) -> None:
    settings = stack_settings(stack)
    assert settings.ci is not None
    capture = capture_stack(stack)
    preview = next(r for r in capture.of_type("aws:iam/role:Role") if r.inputs.get("name") == f"{stack}-preview")
    (statement,) = json.loads(preview.inputs["assumeRolePolicy"])["Statement"]
    subjects = statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
    expected = audit_subject(settings.ci.org, settings.ci.repository, Environment(stack))
    assert subjects == [f"repo:{settings.ci.org}/{settings.ci.repository}:pull_request", expected]


def test_the_job_assumes_the_preview_role_read_from_the_stack_file() -> None:
    (credentials,) = [s for s in AUDIT_JOB["steps"] if str(s.get("uses", "")).startswith(CREDENTIALS)]
    assert credentials["with"]["role-to-assume"] == "${{ steps.stack.outputs.preview-role }}"
    assert "deploy-role }}" not in json.dumps(AUDIT_JOB)
    # The same script as the preview's: one source of truth for the roles, the stack file.
    assert stack_script(AUDIT_JOB) == stack_script(jobs(PULL_REQUEST)["preview"])


def test_the_audit_fails_on_high_after_its_sarif_is_uploaded() -> None:
    steps = AUDIT_JOB["steps"]
    names = [s.get("name") or s.get("uses") or s.get("run") for s in steps]
    audit, upload, verdict = (names.index(n) for n in ("Audit the live account", "Upload to code scanning", "Verdict"))
    assert audit < upload < verdict == len(steps) - 1
    command = next(line for line in run_text(AUDIT_JOB).splitlines() if "nhi audit" in line)
    argv = shlex.split(command.replace("$STACK", "prod"))[1:]
    args = build_parser().parse_args(argv)  # the flags are the command's own
    assert (args.command, args.stack, args.fail_on, args.format) == ("audit", "prod", "high", "sarif")
    assert str(args.output) == "audit-prod.sarif"
    assert steps[upload]["uses"].startswith(SARIF) and steps[upload]["if"].startswith("always()")
    assert steps[upload]["with"]["sarif_file"] == "audit-${{ matrix.stack }}.sarif"
    assert steps[verdict]["run"] == 'exit "${CODE:-2}"'
