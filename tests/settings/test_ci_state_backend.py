"""`nhi-platform:ci.stateBackend`: a self-managed S3 backend and its secrets key, optional and additive; a bucket that
S3 would refuse, a prefix that could become a pattern, a key that is an alias or of another account or region are
refused with their key paths, every problem at once, exit 2 like every settings error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

import settings
from components.state_backend import STATE_PREFIX_MAX
from nhi.cli import main
from settings import fields
from tests.conftest import stack_file_config, write_stack_file

CI = "nhi-platform:ci"
STATE = f"{CI}.stateBackend"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VALID = {"bucket": "acme-pulumi-state", "prefix": "platform/prod", "secretsKeyArn": KEY_ARN}


def with_state(state: dict[str, Any]) -> dict[str, Any]:
    config = stack_file_config("prod")
    config[CI]["stateBackend"] = state
    return config


def problems_of(state: dict[str, Any]) -> list[str]:
    with pytest.raises(settings.SettingsError) as raised:
        settings.parse_config(with_state(state))
    return [str(p) for p in raised.value.problems]


def test_a_state_backend_reaches_the_pipeline_identity() -> None:
    parsed = settings.parse_config(with_state(VALID))
    assert parsed.ci is not None and parsed.ci.state_backend is not None
    pipeline = parsed.deployer_identity_args(tags={})
    assert pipeline is not None and pipeline.state_backend is not None
    backend = pipeline.state_backend
    assert (backend.bucket, backend.prefix, backend.secrets_key_arn) == ("acme-pulumi-state", "platform/prod", KEY_ARN)
    # The program's own project and stack: the grants name exactly their state.
    assert (backend.project, backend.stack) == (pulumi.get_project(), pulumi.get_stack())
    assert backend.checkpoint_key == f"platform/prod/.pulumi/stacks/{backend.project}/{backend.stack}.json"


def test_the_prefix_is_optional() -> None:
    parsed = settings.parse_config(with_state({"bucket": "acme-pulumi-state", "secretsKeyArn": KEY_ARN}))
    pipeline = parsed.deployer_identity_args(tags={})
    assert pipeline is not None and pipeline.state_backend is not None
    assert pipeline.state_backend.prefix == ""
    assert pipeline.state_backend.meta_key == ".pulumi/meta.yaml"


BUCKET_ERROR = f"{STATE}.bucket: expected an S3 bucket name"
PREFIX_ERROR = f"{STATE}.prefix: expected the backend URL's path"
KEY_ERROR = f"{STATE}.secretsKeyArn: expected a KMS key ARN"
ELSEWHERE = f"{STATE}.secretsKeyArn: expected a KMS key of this stack's account 111122223333 and region eu-west-1"


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("bucket", "Acme-State", BUCKET_ERROR),
        ("bucket", "acme_state", BUCKET_ERROR),
        ("bucket", "ab", BUCKET_ERROR),
        ("bucket", "b" * 64, BUCKET_ERROR),
        ("bucket", "acme..state", BUCKET_ERROR),
        ("bucket", "-acme-state", BUCKET_ERROR),
        ("bucket", "192.168.10.1", BUCKET_ERROR),
        ("bucket", "xn--acme-state", BUCKET_ERROR),
        ("bucket", "acme-state-s3alias", BUCKET_ERROR),
        ("bucket", "acme-*", BUCKET_ERROR),
        ("prefix", "/platform", PREFIX_ERROR),
        ("prefix", "platform/", PREFIX_ERROR),
        ("prefix", "platform//prod", PREFIX_ERROR),
        ("prefix", "platform/*", PREFIX_ERROR),
        ("prefix", "platform/../other", PREFIX_ERROR),
        ("prefix", "p" * (STATE_PREFIX_MAX + 1), PREFIX_ERROR),
        ("secretsKeyArn", "arn:aws:kms:eu-west-1:111122223333:alias/pulumi", KEY_ERROR),
        ("secretsKeyArn", "arn:aws:kms:eu-west-1:111122223333:key/*", KEY_ERROR),
        ("secretsKeyArn", "1234abcd-12ab-34cd-56ef-1234567890ab", KEY_ERROR),
        ("secretsKeyArn", KEY_ARN.replace("111122223333", "444455556666"), ELSEWHERE),
        ("secretsKeyArn", KEY_ARN.replace("eu-west-1", "us-east-1"), ELSEWHERE),
        ("keyArn", KEY_ARN, f"{STATE}.keyArn: unknown key"),
        ("bucket", None, f"{STATE}.bucket: required key is missing"),
        ("secretsKeyArn", None, f"{STATE}.secretsKeyArn: required key is missing"),
    ],
)
def test_a_bad_field_is_refused_with_its_key_path(field: str, value: Any, expected: str) -> None:
    state = dict(VALID)
    if value is None:
        del state[field]
    else:
        state[field] = value
    problems = problems_of(state)
    assert any(p.startswith(expected) for p in problems), problems


def test_the_reference_states_the_prefix_limit() -> None:
    assert f"at most {STATE_PREFIX_MAX}\n    characters" in (fields._state_prefix.__doc__ or "")


def test_a_longest_prefix_is_accepted() -> None:
    prefix = "/".join(["p" * 15, "p" * (STATE_PREFIX_MAX - 16)])
    parsed = settings.parse_config(with_state({**VALID, "prefix": prefix}))
    assert parsed.ci is not None and parsed.ci.state_backend is not None
    assert parsed.ci.state_backend.prefix == prefix


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of({"bucket": "Acme", "prefix": "/x", "secretsKeyArn": "alias/pulumi"})
    for expected in (BUCKET_ERROR, PREFIX_ERROR, KEY_ERROR):
        assert any(p.startswith(expected) for p in problems), (expected, problems)


def test_the_preflight_exits_2_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_stack_file(tmp_path, "prod", with_state({**VALID, "secretsKeyArn": KEY_ARN.replace("eu-", "us-")}))
    before = path.read_bytes()
    assert main(["preflight", "--stack-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{STATE}.secretsKeyArn" in err and "Traceback" not in err
    assert path.read_bytes() == before
