"""Unused access from IAM's service last-accessed data, with botocore's Stubber answering as IAM does (moto 5.2.5
does not implement GenerateServiceLastAccessedDetails: the audit's moto tests show it reported as unread)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.stub import Stubber

from nhi.audit.declared import DeclaredRole
from nhi.audit.last_accessed import narrower_access, read_error, service_use, unused_access
from nhi.audit.live import LiveRole
from nhi.audit.model import UNUSED_ACCESS

NOW = datetime(2026, 12, 6, tzinfo=UTC)
JOB = "8e4d5f6a-1b2c-4d3e-9f8a-7b6c5d4e3f21"  # IAM job ids are UUIDs (botocore checks the length)
ARN = "arn:aws:iam::111122223333:role/nhi-platform/workloads/catalog-20260101000000000000000001"
ACCESS = [
    {"service": "s3", "level": "read", "resources": ["arn:aws:s3:::acme-prod-catalog-images"]},
    {
        "service": "dynamodb",
        "level": "read",
        "resources": ["arn:aws:dynamodb:eu-west-1:111122223333:table/prod-catalog"],
    },
]
ROLE = DeclaredRole(
    urn="urn:catalog",
    logical_name="workloads-catalog-identity-role",
    path="/nhi-platform/workloads/",
    name=None,
    name_prefix="catalog-",
    trust=None,
    boundary=None,
    inline=(),
    attached=frozenset(),
    declaration="nhi-platform:workloads[1] (catalog)",
    workload="catalog",
)
LIVE = LiveRole(ARN, ARN.rsplit("/", 1)[1], "/nhi-platform/workloads/", {}, {}, created=NOW - timedelta(days=300))


def stubbed(*reports: dict) -> tuple[object, Stubber]:
    # Unsigned: the Stubber answers before anything is sent, so no credentials are involved.
    iam = boto3.client("iam", region_name="us-east-1", config=Config(signature_version=UNSIGNED))
    stub = Stubber(iam)
    stub.add_response("generate_service_last_accessed_details", {"JobId": JOB}, {"Arn": ARN})
    for report in reports:
        stub.add_response("get_service_last_accessed_details", report, {"JobId": JOB})
    stub.activate()
    return iam, stub


def report(status: str, services: list[dict] | None = None) -> dict:
    return {
        "JobStatus": status,
        "JobCreationDate": NOW,
        "ServicesLastAccessed": services or [],
        "JobCompletionDate": NOW,
    }


def test_services_unused_for_n_days_are_reported_with_the_narrower_declaration() -> None:
    iam, stub = stubbed(
        report("IN_PROGRESS"),
        report(
            "COMPLETED",
            [
                {"ServiceName": "Amazon S3", "ServiceNamespace": "s3"},  # never used
                {
                    "ServiceName": "DynamoDB",
                    "ServiceNamespace": "dynamodb",
                    "LastAuthenticated": NOW - timedelta(days=2),
                },
            ],
        ),
    )
    uses = service_use(iam, ARN, sleep=lambda _: None)
    stub.assert_no_pending_responses()

    (finding,) = unused_access(ROLE, LIVE, uses, ACCESS, NOW, 90)

    assert (finding.kind, finding.arn, finding.declaration) == (UNUSED_ACCESS, ARN, ROLE.declaration)
    assert "not used in 90 days: s3" in finding.message
    assert (
        "access: [{service: dynamodb, level: read" in finding.message
        and "acme-prod-catalog-images" not in finding.message
    )
    assert narrower_access(ACCESS, {"s3"}) == [ACCESS[1]]


def test_every_service_used_recently_gives_nothing() -> None:
    uses = service_use(
        *stubbed(report("COMPLETED", [{"ServiceName": "S3", "ServiceNamespace": "s3", "LastAuthenticated": NOW}]))[:1],
        ARN,
    )
    assert unused_access(ROLE, LIVE, uses, ACCESS, NOW, 90) == []


def test_a_role_younger_than_n_days_is_not_judged() -> None:
    young = LiveRole(ARN, LIVE.name, LIVE.path, {}, {}, created=NOW - timedelta(days=10))
    uses = service_use(*stubbed(report("COMPLETED", [{"ServiceName": "S3", "ServiceNamespace": "s3"}]))[:1], ARN)
    assert unused_access(ROLE, young, uses, ACCESS, NOW, 90) == []


def test_a_failed_job_is_an_unread_with_iam_s_reason() -> None:
    failed = report("FAILED")
    failed["Error"] = {"Message": "Access denied to the entity", "Code": "AccessDenied"}
    iam, _ = stubbed(failed)
    with pytest.raises(TimeoutError) as raised:
        service_use(iam, ARN, sleep=lambda _: None)
    assert read_error(raised.value).reason == "Access denied to the entity"
