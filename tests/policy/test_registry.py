"""The registry derives the rules from the package layout: a new rule module is found with no other edit."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nhi_rules import registry

PACKAGE = "scratch_rules"
RULE = """
from pulumi_policy import PolicyComplianceFramework, Severity

from nhi_rules.lib.rule import resource_rule

NAME = "{name}"
MSG_X = "x is set: unset it"

POLICY = resource_rule(
    name=NAME,
    description="A throw-away rule.",
    resource_types=("aws:s3/bucket:Bucket",),
    check=lambda subject: (),
    severity=Severity.LOW,
    framework=PolicyComplianceFramework(name="none", version="0", reference="0", specification="none"),
    tags=["test"],
    remediation_steps="None.",
)
"""


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty rule package `scratch_rules` with families `aws` and `iam`, importable for this test only."""
    for folder in (PACKAGE, f"{PACKAGE}/aws", f"{PACKAGE}/iam"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path / PACKAGE
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def _add_rule(package: Path, family: str, name: str) -> None:
    (package / family / f"{name.replace('-', '_')}.py").write_text(RULE.format(name=name))


def test_a_new_rule_module_is_found_without_any_other_edit(scratch: Path) -> None:
    _add_rule(scratch, "iam", "iam-role-require-scratch")
    _add_rule(scratch, "aws", "s3-bucket-require-scratch")
    _add_rule(scratch, "aws", "ec2-instance-require-scratch")
    (scratch / "aws" / "s3_bucket_require_scratch.cases.yaml").write_text("cases: []\n")  # data, not a module

    modules = registry.discover(PACKAGE, ("aws", "iam"))

    assert [module.__name__ for module in modules] == [
        f"{PACKAGE}.aws.ec2_instance_require_scratch",
        f"{PACKAGE}.aws.s3_bucket_require_scratch",
        f"{PACKAGE}.iam.iam_role_require_scratch",
    ], "family by family, each family's rules by module name"
    assert [module.POLICY.name for module in modules] == [
        "ec2-instance-require-scratch",
        "s3-bucket-require-scratch",
        "iam-role-require-scratch",
    ]


def test_a_module_that_is_not_a_rule_is_refused_by_name(scratch: Path) -> None:
    (scratch / "aws" / "helpers.py").write_text("POLICY = 'not a policy'\n")

    with pytest.raises(TypeError) as raised:
        registry.discover(PACKAGE, ("aws",))

    assert str(raised.value) == registry.NOT_A_RULE.format(module=f"{PACKAGE}.aws.helpers")
