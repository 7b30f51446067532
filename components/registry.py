"""ECR repositories for the workloads' images: tags immutable (a digest once pushed under a tag stays
there), scanned on push, encrypted with a customer-managed key, and pruned by a lifecycle policy."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from . import labels

REPOSITORY_NAME_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")


@dataclass(frozen=True, kw_only=True)
class ImageRegistryArgs:
    repositories: Sequence[str]
    """Repository names, one per workload (the workload's name)."""
    key_arn: pulumi.Input[str]
    """KMS key (use: images) that encrypts the images."""
    untagged_expiry_days: int = 14
    """Untagged images (superseded pushes, failed builds) are deleted after this many days."""
    max_images: int = 200
    """At most this many images are kept per repository, oldest first out. Generous: a rollback target
    (the idle blue-green slot) must never be pruned."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the repositories."""

    def __post_init__(self) -> None:
        bad = [r for r in self.repositories if not REPOSITORY_NAME_RE.match(r)]
        if bad:
            raise ValueError(f"expected ECR repository names (lowercase, digits, '.', '_', '-', '/'), got {bad}")
        if len(set(self.repositories)) != len(self.repositories):
            raise ValueError(f"repository names must be unique, got {list(self.repositories)}")
        if self.untagged_expiry_days < 1 or self.max_images < 10:
            raise ValueError("lifecycle: untagged_expiry_days >= 1 and max_images >= 10 (keep rollback targets)")


def lifecycle_policy(untagged_expiry_days: int, max_images: int) -> str:
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {untagged_expiry_days} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep at most {max_images} images",
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": max_images},
                    "action": {"type": "expire"},
                },
            ]
        },
        sort_keys=True,
    )


class ImageRegistry(pulumi.ComponentResource):
    """One ECR repository per name."""

    repository_urls: dict[str, pulumi.Output[str]]
    repository_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ImageRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:registry:ImageRegistry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        policy = lifecycle_policy(args.untagged_expiry_days, args.max_images)
        self.repository_urls, self.repository_arns = {}, {}
        for repository_name in args.repositories:
            repository = aws.ecr.Repository(
                f"{name}-{repository_name.replace('/', '-')}",
                name=repository_name,
                image_tag_mutability="IMMUTABLE",  # not the *_WITH_EXCLUSION variants: no tag is ever mutable
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.key_arn)
                ],
                force_delete=False,  # a stack update never deletes images that may still run
                tags={**args.tags, labels.WORKLOAD_TAG: repository_name},
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{repository_name.replace('/', '-')}-lifecycle",
                repository=repository.name,
                policy=policy,
                opts=child,
            )
            self.repository_urls[repository_name] = repository.repository_url
            self.repository_arns[repository_name] = repository.arn
        self.register_outputs({"repository_urls": self.repository_urls, "repository_arns": self.repository_arns})
