"""The `nhi-platform:ci` settings: the pipeline's repository and environments, refused with their key paths when a
subject could become a pattern or the stack could not deploy through its own role."""

from __future__ import annotations

from typing import Any

import pytest

import settings
from tests.conftest import REPO, STACKS, stack_file_config

CI = "nhi-platform:ci"


def problems_of(stack: str, change: Any) -> list[str]:
    config = stack_file_config(stack)
    change(config)
    with pytest.raises(settings.SettingsError) as raised:
        settings.parse_config(config)
    return [str(p) for p in raised.value.problems]


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_names_its_pipeline(stack: str) -> None:
    parsed = settings.stack_file_settings(REPO / "stacks" / f"Pulumi.{stack}.yaml")
    assert parsed.ci is not None
    assert (parsed.ci.org, parsed.ci.repository) == ("acme", "nhi-platform")
    assert [e.value for e in parsed.ci.environments] == ["dev", "staging", "prod"]
    assert parsed.ci_deploy_role_arn == f"arn:aws:iam::111122223333:role/nhi-platform/ci/{stack}-deploy"
    assert parsed.ci_preview_role_arn == f"arn:aws:iam::111122223333:role/nhi-platform/ci/{stack}-preview"
    pipeline = parsed.deployer_identity_args(tags={})
    assert pipeline is not None
    assert pipeline.deploy_subject == f"repo:acme/nhi-platform:environment:{stack}"
    assert pipeline.preview_subject == "repo:acme/nhi-platform:pull_request"


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("org", "acme-*", f"{CI}.org: expected a GitHub organisation or user name"),
        ("org", "-acme", f"{CI}.org: expected a GitHub organisation or user name"),
        ("org", "a" * 40, f"{CI}.org: expected a GitHub organisation or user name"),
        ("repository", "*", f"{CI}.repository: expected a GitHub repository name"),
        ("repository", "..", f"{CI}.repository: expected a GitHub repository name"),
        ("environments", [], f"{CI}.environments: expected a list with at least 1 item"),
        (
            "environments",
            ["dev", "dev", "prod"],
            f"{CI}: expected each environment once in the promotion order, got dev",
        ),
        ("environments", ["dev", "qa"], f"{CI}.environments[1]: expected 'dev', 'staging' or 'prod'"),
        ("oidcProvider", "adopt", f"{CI}.oidcProvider: expected 'create' or 'existing'"),
        ("oidcProvider", None, f"{CI}.oidcProvider: required key is missing"),
        ("repo", "nhi-platform", f"{CI}.repo: unknown key"),
    ],
)
def test_a_bad_field_is_refused_with_its_key_path(field: str, value: Any, expected: str) -> None:
    def change(config: dict[str, Any]) -> None:
        if value is None:
            del config[CI][field]
        else:
            config[CI][field] = value

    problems = problems_of("prod", change)
    assert any(p.startswith(expected) for p in problems), problems


def test_the_stack_s_environment_must_be_in_the_promotion_order() -> None:
    problems = problems_of("prod", lambda c: c[CI].update(environments=["dev", "staging"]))
    assert problems == [
        f"{CI}.environments: expected this stack's environment 'prod' among them (its deploy role "
        "trusts only the GitHub environment of that name), got dev, staging"
    ]


@pytest.mark.parametrize(
    "tags, got", [(None, "nothing"), ({"team": "platform"}, "nothing"), ({"nhi-platform/environment": "dev"}, "'dev'")]
)
def test_the_provider_tags_every_resource_with_the_stack_s_environment(tags: Any, got: str) -> None:
    def change(config: dict[str, Any]) -> None:
        config.pop("aws:defaultTags")
        if tags is not None:
            config["aws:defaultTags"] = {"tags": tags}

    assert problems_of("prod", change) == [
        "aws:defaultTags.tags: expected {nhi-platform/environment: prod} (nhi-platform:ci is set: the pipeline creates "
        f"and changes only resources tagged with their environment), got {got}"
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_makes_its_deploy_role_a_cluster_admin(stack: str) -> None:
    """CI applies the Kubernetes objects too, through the deploy role: the stack file lists it among the
    cluster's admins (docs/ci.md). Not a settings rule: a fork may grant its pipeline narrower RBAC itself."""
    parsed = settings.stack_file_settings(REPO / "stacks" / f"Pulumi.{stack}.yaml")
    assert parsed.ci_deploy_role_arn in parsed.cluster.admin_role_arns


def test_every_problem_is_reported_at_once() -> None:
    def change(config: dict[str, Any]) -> None:
        config[CI].update(org="acme/*", environments=["dev"], oidcProvider="adopt")

    problems = problems_of("prod", change)
    for path in (f"{CI}.org: ", f"{CI}.environments: ", f"{CI}.oidcProvider: "):
        assert any(p.startswith(path) for p in problems), (path, problems)


def test_without_ci_settings_there_is_no_pipeline() -> None:
    config = stack_file_config("dev")
    del config[CI], config["nhi-platform:runner"]  # the runner serves the CI repository: it goes with it
    parsed = settings.parse_config(config)
    assert parsed.ci is None and parsed.ci_deploy_role_arn is None
    assert parsed.deployer_identity_args(tags={}) is None
