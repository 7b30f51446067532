"""getPolicyDocument computed as the AWS provider computes it (terraform-provider-aws
internal/service/iam/policy_document_data_source.go and policy_model.go)."""

from __future__ import annotations

import json
import zlib

import pytest

from nhi.preflight.cloud import CloudContext
from nhi.preflight.lookups import LookupLog, LookupRefused
from nhi.preflight.lookups.policy_document import PolicyDocumentError, policy_document

POLICY_DOCUMENT_LOOKUP = "aws:iam/getPolicyDocument:getPolicyDocument"


def document(**args: object) -> dict:
    return json.loads(policy_document(args)["json"])


def test_one_action_is_a_string_and_several_a_reverse_sorted_list_without_duplicates() -> None:
    statements = document(statements=[{"actions": ["s3:GetObject"]}, {"actions": ["a:B", "c:D", "b:C", "a:B"]}])
    assert [s["Action"] for s in statements["Statement"]] == ["s3:GetObject", ["c:D", "b:C", "a:B"]]
    assert statements["Version"] == "2012-10-17"
    assert all(s["Effect"] == "Allow" for s in statements["Statement"])


def test_the_text_is_go_json_indented_two_spaces_and_the_id_its_crc32() -> None:
    answer = policy_document(
        {"policyId": "p", "statements": [{"sid": "A", "effect": "Deny", "notActions": ["x:Y"], "resources": ["*"]}]}
    )
    expected = (
        '{\n  "Version": "2012-10-17",\n  "Id": "p",\n  "Statement": [\n    {\n      "Sid": "A",\n'
        '      "Effect": "Deny",\n      "NotAction": "x:Y",\n      "Resource": "*"\n    }\n  ]\n}'
    )
    assert answer["json"] == expected
    assert answer["minifiedJson"] == json.dumps(json.loads(expected), separators=(",", ":"))
    assert answer["id"] == str(zlib.crc32(expected.encode()))


def test_html_characters_are_escaped_as_go_escapes_them() -> None:
    answer = policy_document(
        {
            "statements": [
                {"actions": ["s3:*"], "conditions": [{"test": "StringLike", "variable": "k", "values": ["a&<b>"]}]}
            ]
        }
    )
    assert '"a\\u0026\\u003cb\\u003e"' in answer["json"]


def test_policy_variables_are_written_with_a_dollar() -> None:
    statement = document(statements=[{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/&{aws:username}/*"]}])
    assert statement["Statement"][0]["Resource"] == "arn:aws:s3:::b/${aws:username}/*"
    with pytest.raises(PolicyDocumentError, match="not supported in document version 2008-10-17"):
        policy_document({"version": "2008-10-17", "statements": [{"resources": ["&{aws:username}"]}]})


def test_only_the_star_type_with_a_star_becomes_the_bare_star() -> None:
    anyone = document(statements=[{"principals": [{"type": "*", "identifiers": ["*"]}]}])
    any_aws = document(statements=[{"principals": [{"type": "AWS", "identifiers": ["*"]}]}])
    assert anyone["Statement"][0]["Principal"] == "*"
    assert any_aws["Statement"][0]["Principal"] == {"AWS": "*"}


def test_principals_of_one_type_join_and_conditions_merge_by_test_and_variable() -> None:
    statement = document(
        statements=[
            {
                "principals": [
                    {"type": "AWS", "identifiers": ["arn:aws:iam::111111111111:root"]},
                    {
                        "type": "AWS",
                        "identifiers": ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"],
                    },
                ],
                "conditions": [
                    {"test": "StringEquals", "variable": "aws:PrincipalTag/team", "values": ["b", "a"]},
                    {"test": "Bool", "variable": "aws:SecureTransport", "values": ["true"]},
                ],
            }
        ]
    )["Statement"][0]
    assert statement["Principal"] == {
        "AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::333333333333:root", "arn:aws:iam::222222222222:root"]
    }
    assert statement["Condition"] == {
        "Bool": {"aws:SecureTransport": "true"},
        "StringEquals": {"aws:PrincipalTag/team": ["b", "a"]},
    }


def test_source_documents_come_first_and_overrides_replace_statements_by_sid() -> None:
    source = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Sid": "Keep", "Effect": "Allow", "Action": "a:A", "Resource": "*"}]}
    )
    override = json.dumps({"Statement": {"Sid": "Mine", "Effect": "Deny", "Action": "*", "Resource": "*"}})
    merged = document(
        sourcePolicyDocuments=[source],
        statements=[{"sid": "Mine", "actions": ["b:B"], "resources": ["*"]}],
        overridePolicyDocuments=[override],
    )
    assert [(s["Sid"], s["Effect"], s["Action"]) for s in merged["Statement"]] == [
        ("Keep", "Allow", "a:A"),
        ("Mine", "Deny", "*"),
    ]


def test_duplicate_sids_are_refused_as_the_provider_refuses_them() -> None:
    with pytest.raises(PolicyDocumentError, match=r"duplicate Sid \(Same\)"):
        policy_document({"statements": [{"sid": "Same", "actions": ["a:A"]}, {"sid": "Same", "actions": ["b:B"]}]})
    twice = json.dumps({"Statement": [{"Sid": "S", "Effect": "Allow", "Action": "a:A"}]})
    with pytest.raises(PolicyDocumentError, match=r"merging source document 1: duplicate Sid \(S\)"):
        policy_document({"sourcePolicyDocuments": [twice, twice]})


def test_a_refused_document_fails_the_lookup_naming_the_argument() -> None:
    with pytest.raises(LookupRefused) as refused:
        LookupLog().answer(CloudContext(), POLICY_DOCUMENT_LOOKUP, {"version": "2010-01-01"})
    assert (refused.value.token, refused.value.argument) == (POLICY_DOCUMENT_LOOKUP, "version")
    assert refused.value.reason == "version must be one of 2008-10-17, 2012-10-17, got '2010-01-01'"


def test_a_sid_of_other_characters_or_an_unknown_effect_is_refused() -> None:
    with pytest.raises(PolicyDocumentError, match="must only include alphanumeric characters"):
        policy_document({"statements": [{"sid": "read-logs", "actions": ["logs:GetLogEvents"]}]})
    with pytest.raises(PolicyDocumentError, match="effect must be Allow or Deny, got 'allow'"):
        policy_document({"statements": [{"effect": "allow", "actions": ["logs:GetLogEvents"]}]})
