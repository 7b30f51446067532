"""A pack with one remediate-level policy, as a platform team writes one: every taggable AWS resource gets an
`owner` tag when it has none. At the remediate level the engine runs it through Remediate first and analyzes
the fixed resource; the same function validates (`validate_remediate`), so a resource it could not fix is
still reported (by pulumi-policy as mandatory)."""

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

DEFAULT_OWNER = "platform-team"
TAGGABLE = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:ec2/vpc:Vpc", "aws:sqs/queue:Queue")


def tag_an_owner(args: ResourceValidationArgs, report: ReportViolation) -> dict[str, Any] | None:
    if args.resource_type not in TAGGABLE:
        return None
    tags = dict(args.props.get("tags") or {})
    if tags.get("owner"):
        return None
    report("no `owner` tag: tag who answers for this resource")
    props = dict(args.props)
    props["tags"] = {**tags, "owner": DEFAULT_OWNER}
    return props


PolicyPack(
    name="engine-remediate",
    enforcement_level=EnforcementLevel.REMEDIATE,
    policies=[
        ResourceValidationPolicy(
            name="tag-an-owner",
            description="Taggable resources name an owner (added when missing).",
            validate_remediate=tag_an_owner,
        ),
    ],
)
