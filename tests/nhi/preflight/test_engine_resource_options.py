"""Item 5 of issue 16, the parts the engine computes: an alias spec resolved to a URN as collapseAliasToUrn
does, and a custom timeout read as Go's time.ParseDuration reads it."""

from __future__ import annotations

import pytest
from pulumi.runtime.proto import resource_pb2

from nhi.preflight.analyzer import duration_seconds
from nhi.preflight.capture import CapturedResource, alias_urn
from nhi.preflight.errors import PreflightError

STACK_URN = "urn:pulumi:prod::shop::pulumi:pulumi:Stack::shop-prod"
COMPONENT_URN = "urn:pulumi:prod::shop::corpus:web:Site::storefront"


def _request(parent: str, *aliases: dict) -> resource_pb2.RegisterResourceRequest:
    request = resource_pb2.RegisterResourceRequest(type="aws:s3/bucketV2:BucketV2", name="assets", parent=parent)
    for alias in aliases:
        entry = request.aliases.add()
        if "urn" in alias:
            entry.urn = alias["urn"]
        else:
            for key, value in alias.items():
                setattr(entry.spec, key, value)
    return request


@pytest.mark.parametrize(
    ("parent", "alias", "expected"),
    [
        (STACK_URN, {"name": "old-assets"}, "urn:pulumi:prod::shop::aws:s3/bucketV2:BucketV2::old-assets"),
        (
            COMPONENT_URN,
            {"name": "old-assets"},
            "urn:pulumi:prod::shop::corpus:web:Site$aws:s3/bucketV2:BucketV2::old-assets",
        ),
        (COMPONENT_URN, {"noParent": True}, "urn:pulumi:prod::shop::aws:s3/bucketV2:BucketV2::assets"),
        (
            STACK_URN,
            {"parentUrn": COMPONENT_URN},
            "urn:pulumi:prod::shop::corpus:web:Site$aws:s3/bucketV2:BucketV2::assets",
        ),
        (
            STACK_URN,
            {"type": "aws:s3/bucket:Bucket", "stack": "legacy"},
            "urn:pulumi:legacy::shop::aws:s3/bucket:Bucket::assets",
        ),
        (
            STACK_URN,
            {"urn": "urn:pulumi:prod::shop::aws:s3/bucket:Bucket::x"},
            "urn:pulumi:prod::shop::aws:s3/bucket:Bucket::x",
        ),
    ],
)
def test_an_alias_is_the_urn_the_engine_makes_of_it(parent: str, alias: dict, expected: str) -> None:
    request = _request(parent, alias)
    assert alias_urn(request, request.aliases[0], "shop", "prod") == expected


RESOURCE = CapturedResource(
    "urn:pulumi:prod::shop::aws:sqs/queue:Queue::q", "aws:sqs/queue:Queue", "q", None, True, None, (), {}, {}, {}
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10m", 600.0), ("1h30m", 5400.0), ("1.5h", 5400.0), ("300ms", 0.3), ("0", 0.0), ("2h45m30s", 9930.0)],
)
def test_custom_timeouts_are_go_durations(text: str, seconds: float) -> None:
    assert duration_seconds(text, RESOURCE) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10 minutes", "10", "m", "1d"])
def test_a_timeout_go_cannot_parse_is_refused_naming_the_resource(text: str) -> None:
    with pytest.raises(PreflightError, match=r"aws:sqs/queue:Queue::q: customTimeouts value .* is not a duration"):
        duration_seconds(text, RESOURCE)
