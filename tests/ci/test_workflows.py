"""The workflows in .github/workflows: valid against GitHub's workflow schema (SchemaStore's, vendored by
check-jsonschema, offline), every action pinned to a commit, least permissions per job, no stored cloud key,
the preview through the preview role, `pulumi up` through each environment's deploy role in promotion order."""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

import settings
from components.runner import runner_label
from tests.conftest import REPO, STACKS

WORKFLOWS = REPO / ".github" / "workflows"
PULL_REQUEST, DEPLOY, AUDIT = "pull-request.yml", "deploy.yml", "audit.yml"
# Each action, the commit it is pinned to and the release that commit is (docs/ci.md lists where each was checked).
PINNED = {
    "actions/checkout": ("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "aws-actions/configure-aws-credentials": ("7474bc4690e29a8392af63c5b98e7449536d5c3a", "v4.3.1"),
    "pulumi/actions": ("8e5e406f4007fca908480587cb9893c07090f58d", "v7.0.0"),
    "github/codeql-action/upload-sarif": ("5d4e8d1aca955e8d8589aabd499c5cae939e33c7", "v4.31.9"),
    "pulumi/auth-actions": ("141415910c3beb54e03b48e9057c204c97b956f2", "v2.1.0"),
}
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*))?$")
CREDENTIALS = "aws-actions/configure-aws-credentials"
SARIF = "github/codeql-action/upload-sarif"
CHECKOUT = "actions/checkout"
PULUMI_AUTH = "pulumi/auth-actions"
PULUMI_TEAM_SCOPED = "urn:pulumi:token-type:access_token:team"


@functools.cache
def workflow(name: str) -> dict[str, Any]:
    # YAML 1.2, as GitHub reads it: `on` stays a key, not the boolean true.
    return YAML(typ="safe", pure=True).load((WORKFLOWS / name).read_text())


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return workflow(name)["jobs"]


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).split("@")[0] == action]


def all_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.y*ml"))


@functools.lru_cache(maxsize=1)
def schema_validator() -> jsonschema.protocols.Validator:
    text = (importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "github-workflows.json").read_text()
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in schema_validator().iter_errors(document)]


# --- schema ---------------------------------------------------------------------------------------------------------


def test_the_workflows_are_the_two_expected() -> None:
    assert [p.name for p in all_files()] == [AUDIT, DEPLOY, PULL_REQUEST]


@pytest.mark.parametrize("name", [DEPLOY, PULL_REQUEST, AUDIT])
def test_each_workflow_validates_against_github_s_workflow_schema(name: str) -> None:
    assert schema_errors(workflow(name)) == []


def test_the_schema_check_can_fail() -> None:
    broken = copy.deepcopy(workflow(DEPLOY))
    broken["jobs"]["dev"]["runs_on"] = broken["jobs"]["dev"].pop("runs-on")
    broken["jobs"]["prod"]["permissions"]["id-token"] = "admin"
    assert len(schema_errors(broken)) >= 2


def test_check_jsonschema_s_own_command_agrees_offline() -> None:
    """The command a fork's maintainers run; --builtin-schema reads the vendored copy, no network."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, all_files()),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- supply chain -----------------------------------------------------------------------------------------------------


def uses_lines() -> Iterator[tuple[str, int, re.Match[str]]]:
    for path in all_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = USES_LINE.match(line)
            if match:
                yield path.name, number, match


def test_every_action_is_pinned_to_a_full_commit_of_a_named_release() -> None:
    seen = set()
    for name, number, match in uses_lines():
        action, _, ref = match["ref"].partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{name}:{number}: {match['ref']} is not pinned to a commit"
        assert action in PINNED, f"{name}:{number}: {action} is not an action this project reviewed"
        assert (ref, (match["comment"] or "").strip()) == PINNED[action], f"{name}:{number}"
        seen.add(action)
    assert seen == set(PINNED)


def test_every_uses_is_seen_by_the_pin_check() -> None:
    parsed = [
        s["uses"]
        for n in (DEPLOY, PULL_REQUEST, AUDIT)
        for j in jobs(n).values()
        for s in j.get("steps", [])
        if "uses" in s
    ]
    assert len(parsed) == len(list(uses_lines()))


EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
SECRET_REFERENCE = re.compile(r"\bsecrets\b(?:\s*\.\s*([A-Za-z0-9_-]+))?")
"""The `secrets` context in an expression: `secrets.NAME`, `secrets['NAME']`, `toJSON(secrets)`. A stored secret;
GitHub's own per-job `github.token` is not one."""


def stored_secrets(text: str) -> set[str]:
    return {
        match.group(1) or "secrets"
        for expression in EXPRESSION.findall(text)
        for match in SECRET_REFERENCE.finditer(expression)
    }


def test_no_workflow_holds_a_stored_secret() -> None:
    """No long-lived credential in CI: AWS through OIDC roles, the Pulumi backend through OIDC token exchange (or the
    same AWS roles for a self-managed backend). Every workflow of the directory, present and future."""
    for path in all_files():
        text = path.read_text()
        assert stored_secrets(text) == set(), path.name
        for forbidden in (
            "aws-access-key-id",
            "aws-secret-access-key",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "PULUMI_ACCESS_TOKEN:",
            "pull_request_target",
            "write-all",
        ):
            assert forbidden not in text, (path.name, forbidden)


@pytest.mark.parametrize(
    "line",
    [
        "PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}",
        "aws-secret-access-key: ${{ secrets.AWS_KEY }}",
        "token: ${{ secrets['PULUMI_TOKEN'] }}",
        "all: ${{ toJSON(secrets) }}",
    ],
)
def test_the_stored_secret_check_can_fail(line: str) -> None:
    assert stored_secrets(line) != set()
    assert stored_secrets(f"# no stored secrets here: {line.split(':')[0]}") == set()


def test_the_pulumi_cli_is_the_sdk_s_version() -> None:
    sdk = re.search(r"^pulumi==(\S+)$", (REPO / "requirements.txt").read_text(), re.M)
    assert sdk is not None
    for name in (DEPLOY, PULL_REQUEST):
        assert workflow(name)["env"]["PULUMI_VERSION"] == sdk.group(1)


# --- permissions -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [DEPLOY, PULL_REQUEST, AUDIT])
def test_every_job_declares_least_permissions(name: str) -> None:
    assert workflow(name)["permissions"] == {}
    for job_name, job in jobs(name).items():
        assert "permissions" in job, f"{name}: job {job_name} declares no permissions"
        granted = dict(job["permissions"])
        assigns_role = bool(steps_using(job, CREDENTIALS)) or bool(steps_using(job, PULUMI_AUTH))
        uploads = bool(steps_using(job, SARIF))
        comments = "gh pr comment" in json.dumps(job.get("steps", []))
        assert granted.pop("id-token", None) == ("write" if assigns_role else None), job_name
        assert granted.pop("security-events", None) == ("write" if uploads else None), job_name
        assert granted.pop("pull-requests", None) == ("write" if comments else None), job_name
        if uploads:
            assert granted.pop("actions") == "read"
        assert granted in ({"contents": "read"}, {}), (job_name, granted)
        if comments:
            # The token that writes to the pull request never runs its code.
            assert granted == {} and not steps_using(job, CHECKOUT) and "make" not in json.dumps(job["steps"])


def test_checkouts_leave_no_token_behind() -> None:
    for name in (DEPLOY, PULL_REQUEST, AUDIT):
        for job in jobs(name).values():
            for step in steps_using(job, CHECKOUT):
                assert step["with"]["persist-credentials"] is False


# --- what runs -------------------------------------------------------------------------------------------------------


def run_text(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in job.get("steps", []))


def test_pull_requests_run_the_readme_s_setup_and_tests() -> None:
    assert workflow(PULL_REQUEST)["on"] == {"pull_request": {"branches": ["main"]}}
    test = jobs(PULL_REQUEST)["test"]
    assert [s.get("uses", s.get("run")).split("@")[0] for s in test["steps"]] == [
        CHECKOUT,
        "actions/setup-python",
        "make test",
    ]
    assert test["steps"][1]["with"]["python-version"] == "${{ env.PYTHON_VERSION }}"
    assert workflow(PULL_REQUEST)["env"]["PYTHON_VERSION"] == "3.11"


def test_every_stack_gets_a_preflight_with_its_sarif_in_code_scanning() -> None:
    job = jobs(PULL_REQUEST)["preflight"]
    assert job["strategy"]["matrix"]["stack"] == list(STACKS)
    assert sorted(STACKS) == sorted(p.stem.removeprefix("Pulumi.") for p in (REPO / "stacks").glob("Pulumi.*.yaml"))
    text = run_text(job)
    assert '.venv/bin/nhi preflight --stack "$STACK" --policy-pack policy' in text
    assert '--policy-pack-config "policy/config/$STACK.json" --format sarif --output "preflight-$STACK.sarif"' in text
    upload = steps_using(job, SARIF)[0]
    assert upload["if"].startswith("always()")
    assert upload["with"]["sarif_file"] == "preflight-${{ matrix.stack }}.sarif"
    assert job["steps"][-1]["run"] == 'exit "${CODE:-2}"'  # the verdict still fails the job after the upload


def test_the_access_diff_is_commented_only_when_access_widens() -> None:
    diff, comment = jobs(PULL_REQUEST)["access-diff"], jobs(PULL_REQUEST)["access-diff-comment"]
    text = run_text(diff)
    assert '.venv/bin/nhi access-diff --stack "$stack" --against "$BASE"' in text
    assert 'if [ "$code" -eq 3 ]; then' in text
    assert next(s for s in diff["steps"] if s.get("uses", "").startswith(CHECKOUT))["with"]["fetch-depth"] == 0
    assert comment["needs"] == "access-diff"
    assert comment["if"].startswith("needs.access-diff.outputs.widens == 'true'")


def test_previews_assume_the_preview_role_outside_any_environment() -> None:
    job = jobs(PULL_REQUEST)["preview"]
    assert "environment" not in job  # the OIDC subject stays repo:ORG/REPO:pull_request
    assert job["strategy"]["matrix"]["stack"] == list(STACKS)
    credentials = steps_using(job, CREDENTIALS)[0]["with"]
    assert credentials["role-to-assume"] == "${{ steps.stack.outputs.preview-role }}"
    assert credentials["role-duration-seconds"] == 900
    assert re.search(
        r"pulumi preview --stack \S+ --non-interactive --diff \\\n\s+--policy-pack policy "
        r'--policy-pack-config "policy/config/\$ENVIRONMENT.json"',
        run_text(job),
    )
    assert "pulumi up" not in run_text(job)


def deploy_jobs() -> list[tuple[str, dict[str, Any]]]:
    return [(n, j) for n, j in jobs(DEPLOY).items() if "environment" in j]


def test_merges_deploy_each_environment_in_promotion_order_through_its_own_role() -> None:
    assert workflow(DEPLOY)["on"] == {"push": {"branches": ["main"]}}
    promotion = {tuple(e.value for e in s.ci.environments) for s in map(stack_settings, STACKS) if s.ci}
    assert promotion == {("dev", "staging", "prod")}
    order, previous = [], "test"
    by_need = {j["needs"]: (n, j) for n, j in deploy_jobs()}
    while previous in by_need:
        name, job = by_need[previous]
        order.append(job["environment"])
        assert name == job["environment"]
        assert job["concurrency"] == {"group": f"deploy-{name}", "cancel-in-progress": False}
        credentials = steps_using(job, CREDENTIALS)[0]["with"]
        assert credentials["role-to-assume"] == "${{ steps.stack.outputs.deploy-role }}"
        assert job["timeout-minutes"] * 60 <= credentials["role-duration-seconds"] == 3600
        login = steps_using(job, PULUMI_AUTH)[0]
        assert login["if"] == "vars.PULUMI_BACKEND_URL == ''"
        assert login["with"]["requested-token-type"] == PULUMI_TEAM_SCOPED
        assert login["with"]["scope"] == f"team:nhi-platform-{name}-deploy"
        assert int(login["with"]["token-expiration"]) <= credentials["role-duration-seconds"]
        assert f"STACK: {name}" in json.dumps(job) or job["steps"][-1]["env"]["STACK"] == name
        assert re.search(
            r"pulumi up --yes --stack \S+ --non-interactive --diff \\\n\s+--policy-pack policy "
            r'--policy-pack-config "policy/config/\$ENVIRONMENT.json"',
            run_text(job),
        )
        previous = name
    assert order == ["dev", "staging", "prod"] == [n for n, _ in deploy_jobs()]


def test_the_deploy_jobs_differ_only_in_their_environment() -> None:
    def normalised(name: str, job: dict[str, Any]) -> str:
        return re.sub(rf"\b{name}\b", "ENV", json.dumps(job, sort_keys=True))

    shapes = {normalised(n, {k: v for k, v in j.items() if k != "needs"}) for n, j in deploy_jobs()}
    assert len(shapes) == 1


def stack_settings(stack: str) -> settings.StackSettings:
    return settings.stack_file_settings(REPO / "stacks" / f"Pulumi.{stack}.yaml")


def stack_script(job: dict[str, Any]) -> str:
    step = next(s for s in job["steps"] if s.get("id") == "stack")
    match = re.search(r"<<'PY'\n(?P<body>.*?)\nPY\n", step["run"], re.S)
    assert match is not None
    return match["body"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_workflows_read_each_role_from_the_stack_file(stack: str) -> None:
    """The script the jobs run prints the roles the program creates: one source of truth, the stack file."""
    scripts = {stack_script(jobs(PULL_REQUEST)["preview"])} | {stack_script(j) for _, j in deploy_jobs()}
    assert len(scripts) == 1
    result = subprocess.run(
        [sys.executable, "-", stack],
        input=scripts.pop(),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = stack_settings(stack)
    assert dict(line.split("=", 1) for line in result.stdout.splitlines()) == {
        "region": expected.region,
        "environment": stack,
        "preview-role": expected.ci_preview_role_arn,
        "deploy-role": expected.ci_deploy_role_arn,
    }


def test_the_ci_page_lists_every_pinned_action() -> None:
    page = (REPO / "docs" / "ci.md").read_text()
    for action, (sha, release) in PINNED.items():
        assert f"| `{action}` | `{sha}` | {release} |" in page, action


# --- where jobs run --------------------------------------------------------------------------------------------------


def talks_to_kubernetes(job: dict[str, Any]) -> bool:
    """A job that applies the stack (`pulumi up`) reaches the cluster's private API endpoint."""
    return "pulumi up" in run_text(job)


def test_every_job_that_applies_kubernetes_objects_runs_on_its_environment_s_in_vpc_runner() -> None:
    appliers = {n for n, j in jobs(DEPLOY).items() if talks_to_kubernetes(j)}
    assert appliers == {"dev", "staging", "prod"}
    for name in appliers:
        job, declared = jobs(DEPLOY)[name], stack_settings(name)
        assert declared.runner_project_name is not None, name
        assert job["runs-on"] == [runner_label(declared.environment), f"deploy-{name}"]
        assert job["runs-on"][0].startswith(f"codebuild-{declared.runner_project_name}-")


def test_jobs_that_do_not_reach_the_cluster_stay_on_github_hosted_runners() -> None:
    """Only the deploy jobs take an in-VPC runner: pull-request code (tests, preflight, preview) never runs there."""
    for name in (DEPLOY, PULL_REQUEST):
        for job_name, job in jobs(name).items():
            if not talks_to_kubernetes(job):
                assert job["runs-on"] == "ubuntu-24.04", (name, job_name)


def test_the_preview_holds_nothing_that_can_write_or_outlive_the_job() -> None:
    job = jobs(PULL_REQUEST)["preview"]
    login = steps_using(job, PULUMI_AUTH)[0]["with"]
    assert login["requested-token-type"] == PULUMI_TEAM_SCOPED and login["scope"] == "team:nhi-platform-preview"
    assert int(login["token-expiration"]) <= job["timeout-minutes"] * 60
    assert int(steps_using(job, CREDENTIALS)[0]["with"]["role-duration-seconds"]) <= job["timeout-minutes"] * 60
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
