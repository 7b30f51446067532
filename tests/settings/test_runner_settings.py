"""`nhi-platform:runner` and `nhi-platform:vpcEndpoints`: what the deployment runner and the endpoints take from
the stack file, and the combinations settings refuse."""

from __future__ import annotations

import pytest

import settings
from components.deployer_identity import Environment
from components.runner import runner_label, runner_project_name
from tests.conftest import STACKS, stack_file_config

RUNNER = "nhi-platform:runner"


@pytest.mark.parametrize("stack", STACKS)
def test_every_sample_stack_declares_its_runner(stack: str) -> None:
    parsed = settings.parse_config(stack_file_config(stack))
    assert parsed.runner_project_name == f"nhi-platform-{stack}-deploy" == runner_project_name(Environment(stack))
    assert runner_label(Environment(stack)) == (
        f"codebuild-nhi-platform-{stack}-deploy-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"
    )


def problems(config: dict[str, object]) -> list[str]:
    with pytest.raises(settings.SettingsError) as error:
        settings.parse_config(config)
    return [f"{p.path}: {p.message}" for p in error.value.problems]


def test_a_runner_needs_the_ci_repository() -> None:
    config = stack_file_config("dev")
    del config["nhi-platform:ci"]
    assert problems(config) == [
        f"{RUNNER}: expected nhi-platform:ci too: the runner serves the workflow jobs of that repository"
    ]


def test_the_runner_image_comes_from_this_account_s_ecr_by_digest() -> None:
    config = stack_file_config("dev")
    image = config[RUNNER]["image"]
    config[RUNNER]["image"] = image.replace("111122223333", "444455556666")
    assert [p for p in problems(config) if p.startswith(f"{RUNNER}.image: expected an image of this account")]
    config[RUNNER]["image"] = image.split("@")[0] + ":latest"
    assert any("pinned by digest" in p for p in problems(config))


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:codeconnections:eu-west-1:111122223333:connection/*",
        "arn:aws:codeconnections:eu-west-1:1111:connection/7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
        "arn:aws:iam::111122223333:role/x",
    ],
)
def test_the_connection_is_one_named_connection(arn: str) -> None:
    config = stack_file_config("dev")
    config[RUNNER]["connectionArn"] = arn
    assert [p for p in problems(config) if p.startswith(f"{RUNNER}.connectionArn: expected a CodeConnections")]


def test_the_endpoints_follow_the_workloads_access_and_take_extra_registries() -> None:
    config = stack_file_config("prod")
    config["nhi-platform:vpcEndpoints"] = {"imageRegistryAccounts": ["694911143906"]}
    parsed = settings.parse_config(config)
    assert parsed.endpoint_services == ("dynamodb", "kms", "s3", "secretsmanager", "sns", "sqs", "ssm")
    assert parsed.cluster_args({}).image_registry_accounts == ["694911143906"]
    config["nhi-platform:vpcEndpoints"] = {"imageRegistryAccounts": [694911143906]}
    assert problems(config)
