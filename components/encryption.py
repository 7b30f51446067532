"""A customer-managed KMS key for one use (secrets, logs, node volumes or images), rotated yearly, with a
key policy that admits only the service that use needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pulumi
import pulumi_aws as aws

from .policy_documents import document

# Every key is a symmetric encryption key (the pipeline may create no other kind).
KEY_SPEC = "SYMMETRIC_DEFAULT"
KEY_USAGE = "ENCRYPT_DECRYPT"


class KeyUse(str, Enum):
    """What the key encrypts; decides which service principals its policy admits besides the account."""

    KUBERNETES_SECRETS = "kubernetes-secrets"
    """EKS envelope encryption of Secrets: the cluster role is granted use through IAM, nothing else."""
    LOGS = "logs"
    """CloudWatch Logs groups of this account and region (control-plane and flow logs)."""
    NODE_VOLUMES = "node-volumes"
    """EBS volumes of managed nodes: EC2 Auto Scaling's service-linked role, through EC2 only."""
    IMAGES = "images"
    """ECR repositories: ECR creates its grant with the caller's permissions, nothing else is admitted."""


@dataclass(frozen=True, kw_only=True)
class EncryptionKeyArgs:
    use: KeyUse
    """What the key is for; one key per use so that a grant for one never opens another."""
    account_id: str
    """The account that owns the key (its root administers it through IAM policies)."""
    region: str
    """The key's region, for the service principals and ARNs in its policy."""
    partition: str = "aws"
    """The AWS partition (aws, aws-cn, aws-us-gov)."""
    deletion_window_days: int = 30
    """Days a deleted key waits before it is gone; the maximum, to leave time to notice a mistake."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the key."""

    def __post_init__(self) -> None:
        if not 7 <= self.deletion_window_days <= 30:
            raise ValueError(f"deletion_window_days must be 7..30 (KMS limits), got {self.deletion_window_days}")


def key_policy(args: EncryptionKeyArgs) -> str:
    """The key policy: the account administers the key through IAM; the one service of its use may use it."""
    account_root = f"arn:{args.partition}:iam::{args.account_id}:root"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": account_root},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    use_actions = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    if args.use is KeyUse.LOGS:
        log_groups = f"arn:{args.partition}:logs:{args.region}:{args.account_id}:log-group:*"
        statements.append(
            {
                "Sid": "CloudWatchLogsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{args.region}.amazonaws.com"},
                "Action": use_actions,
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            }
        )
    elif args.use is KeyUse.NODE_VOLUMES:
        # Named by condition, not as principal: the service-linked role may not exist before the first node group.
        autoscaling = (
            f"arn:{args.partition}:iam::{args.account_id}:role/aws-service-role/"
            "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
        )
        via_ec2 = {"kms:CallerAccount": args.account_id, "kms:ViaService": f"ec2.{args.region}.amazonaws.com"}
        statements += [
            {
                "Sid": "AutoScalingUsesKeyThroughEc2",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": use_actions,
                "Resource": "*",
                "Condition": {"StringEquals": via_ec2, "ArnEquals": {"aws:PrincipalArn": autoscaling}},
            },
            {
                "Sid": "AutoScalingGrantsForAttachedVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {
                    "StringEquals": via_ec2,
                    "ArnEquals": {"aws:PrincipalArn": autoscaling},
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                },
            },
        ]
    return document(*statements)


class EncryptionKey(pulumi.ComponentResource):
    """A symmetric KMS key with automatic rotation and an alias naming its use."""

    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:encryption:EncryptionKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(
            f"{name}-key",
            description=f"{name}: {args.use.value}",
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            key_usage=KEY_USAGE,
            customer_master_key_spec=KEY_SPEC,
            policy=key_policy(args),
            tags={**args.tags, "nhi-platform/key-use": args.use.value},
            opts=child,
        )
        aws.kms.Alias(f"{name}-alias", name=f"alias/{name}", target_key_id=key.key_id, opts=child)
        self.key_arn = key.arn
        self.key_id = key.key_id
        self.register_outputs({"key_arn": self.key_arn, "key_id": self.key_id})
