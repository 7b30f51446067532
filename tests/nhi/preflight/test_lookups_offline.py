"""Lookups answered offline where it is honest (computed as the provider does, or invented and marked as
such in every format), and the ones with no answer named, also when the program then fails (issue 16, item 2)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from nhi.cli import main
from nhi.preflight.lookups.stand_ins import NOT_A_CREDENTIAL, STAND_IN_HEX_MARK

TESTS = Path(__file__).resolve().parents[2]
CORPUS = TESTS / "programs" / "corpus"
DATA_SOURCES = CORPUS / "lookup_data_sources"
FAILURE = CORPUS / "lookup_unanswered_failure"
SIMPLE_PACK = TESTS / "packs" / "simple"
CONTRACT = json.loads((TESTS.parent / "nhi" / "preflight" / "preflight.schema.json").read_text())

STAND_INS = {
    "aws:ec2/getAmi:getAmi",
    "aws:ec2/getSubnets:getSubnets",
    "aws:ec2/getVpc:getVpc",
    "aws:ecr/getAuthorizationToken:getAuthorizationToken",
    "aws:index/getCallerIdentity:getCallerIdentity",
    "aws:route53/getZone:getZone",
    "aws:ssm/getParameter:getParameter",
}
COMPUTED = {"aws:iam/getPolicyDocument:getPolicyDocument", "aws:index/getRegion:getRegion"}
UNANSWERED = "aws:kms/getAlias:getAlias"


def preflight(capsys: pytest.CaptureFixture[str], program: Path, *args: str) -> tuple[int, str, str]:
    code = main(["preflight", "--program", str(program), "--stack", "test", "--policy-pack", str(SIMPLE_PACK), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("lookups") / "report.json"
    code = main(
        [
            *("preflight", "--program", str(DATA_SOURCES), "--stack", "test", "--policy-pack", str(SIMPLE_PACK)),
            *("--format", "json", "--output", str(path)),
        ]
    )
    assert code == 0
    return json.loads(path.read_text())


def _inputs(report: dict, type_token: str) -> dict:
    return next(r["inputs"] for r in report["resources"] if r["type"] == type_token)


def test_a_program_built_on_lookups_gets_its_inputs(report: dict) -> None:
    jsonschema.validate(report, CONTRACT)
    server = _inputs(report, "aws:ec2/instance:Instance")
    assert server["ami"].startswith(f"ami-{STAND_IN_HEX_MARK}")
    assert server["subnetId"].startswith(f"subnet-{STAND_IN_HEX_MARK}")
    assert _inputs(report, "aws:ec2/securityGroup:SecurityGroup")["vpcId"].startswith(f"vpc-{STAND_IN_HEX_MARK}")
    assert _inputs(report, "aws:route53/record:Record")["name"] == "www.example.com"


def test_get_policy_document_returns_the_providers_document(report: dict) -> None:
    assume = json.loads(_inputs(report, "aws:iam/role:Role")["assumeRolePolicy"])
    assert assume == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}],
    }
    policy = json.loads(_inputs(report, "aws:iam/rolePolicy:RolePolicy")["policy"])
    assert policy["Statement"][0]["Action"] == ["logs:GetLogEvents", "logs:DescribeLogStreams"]  # reverse-sorted


def test_json_says_how_each_lookup_was_answered(report: dict) -> None:
    answers = {(lookup["token"], lookup["answer"]) for lookup in report["lookups"]}
    assert answers == (
        {(t, "stand-in") for t in STAND_INS} | {(t, "computed") for t in COMPUTED} | {(UNANSWERED, "unanswered")}
    )
    invented = {lookup["token"]: lookup["standIns"] for lookup in report["lookups"] if lookup["answer"] == "stand-in"}
    assert invented["aws:ec2/getAmi:getAmi"][0]["id"] == _inputs(report, "aws:ec2/instance:Instance")["ami"]
    assert invented["aws:ecr/getAuthorizationToken:getAuthorizationToken"][0]["password"] == NOT_A_CREDENTIAL
    assert report["summary"]["standInLookups"] == len(STAND_INS)
    assert f"no mock answer for invoke {UNANSWERED}" in report["warnings"]


def test_the_table_marks_stand_ins_and_names_unanswered_lookups(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = preflight(capsys, DATA_SOURCES)
    assert code == 0
    lines = out.splitlines()
    for token in STAND_INS:
        assert any(line.startswith(f"  STAND-IN   {token} ") and "invented offline, not real" in line for line in lines)
    assert any(line.startswith(f"  NO ANSWER  {UNANSWERED} ") for line in lines)


def test_sarif_notes_each_stand_in_and_unanswered_lookup(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = preflight(capsys, DATA_SOURCES, "--format", "sarif")
    notes = json.loads(out)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    by_id: dict[str, list[str]] = {}
    for note in notes:
        by_id.setdefault(note["descriptor"]["id"], []).append(note["message"]["text"])
    assert {text.split(" ")[4].rstrip(",:") for text in by_id["preflight-lookup-stand-in"]} == STAND_INS
    assert by_id["preflight-lookup-unanswered"] == [
        f"no offline answer for lookup {UNANSWERED}: the program got empty results"
    ]


def test_a_program_that_fails_after_an_unanswered_lookup_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = preflight(capsys, FAILURE)
    assert code == 2
    assert "The program failed at __main__.py:11" in err
    assert "Lookups with no offline answer (the program got empty results from them):" in err
    assert "  aws:secretsmanager/getSecretVersion:getSecretVersion" in err.splitlines()
    assert "Traceback" not in err + out
