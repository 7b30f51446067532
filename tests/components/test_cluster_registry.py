"""ECR as captured for every stack: one repository per workload, immutable tags, scan on push, KMS."""

from __future__ import annotations

import json

import pytest

import settings
from components.registry import ImageRegistryArgs
from nhi.preflight.capture import Capture
from tests.components.cluster_queries import KEY, REPOSITORY, by_output


def test_one_repository_per_workload_named_after_it(declared: settings.StackSettings, capture: Capture) -> None:
    names = {r.inputs["name"] for r in capture.of_type(REPOSITORY)}
    assert names == {w.name for w in declared.workloads}


def test_tags_are_immutable_and_images_scanned_and_encrypted(capture: Capture) -> None:
    for repository in capture.of_type(REPOSITORY):
        assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
        assert "imageTagMutabilityExclusionFilters" not in repository.inputs
        assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        [encryption] = repository.inputs["encryptionConfigurations"]
        assert encryption["encryptionType"] == "KMS"
        assert by_output(capture, KEY, "arn", encryption["kmsKey"]).inputs["tags"]["nhi-platform/key-use"] == "images"
        assert repository.inputs["forceDelete"] is False


def test_every_repository_has_a_lifecycle_policy(capture: Capture) -> None:
    policies = {
        p.inputs["repository"]: json.loads(p.inputs["policy"])
        for p in capture.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    }
    assert set(policies) == {r.inputs["name"] for r in capture.of_type(REPOSITORY)}
    for policy in policies.values():
        assert {rule["selection"]["tagStatus"] for rule in policy["rules"]} == {"untagged", "any"}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"repositories": ["Gateway"]}, "ECR repository names"),
        ({"repositories": ["a", "a"]}, "unique"),
        ({"max_images": 1}, "rollback targets"),
    ],
)
def test_registry_args_refuse_bad_input(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ImageRegistryArgs(**{"repositories": ["a"], "key_arn": "arn:k", **change})
