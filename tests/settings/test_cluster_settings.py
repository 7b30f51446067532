"""Cluster settings: each unsafe value is refused before any resource exists, with a message that names
the key; the hardened defaults are what the stacks get when they say nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import settings
from components.node_group import AmiType
from settings.model import DEFAULT_ADDON_VERSIONS
from tests.conftest import STACKS, stack_file_config

CLUSTER = "nhi-platform:cluster"


def changed_config(change: Callable[[dict[str, Any]], None], stack: str = "dev") -> dict[str, Any]:
    config = stack_file_config(stack)
    change(config)
    return config


def problems_of(change: Callable[[dict[str, Any]], None], stack: str = "dev") -> list[str]:
    """The problems (as `path: message` lines) of a stack file changed by `change`; [] when it is valid."""
    try:
        settings.parse_config(changed_config(change, stack))
    except settings.SettingsError as error:
        return [str(problem) for problem in error.problems]
    return []


def cluster(config: dict[str, Any]) -> dict[str, Any]:
    return config[CLUSTER]


def group(config: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return config[CLUSTER]["nodeGroups"][index]


@pytest.mark.parametrize("stack", STACKS)
def test_the_stacks_are_valid(stack: str) -> None:
    assert problems_of(lambda config: None, stack) == []


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_a_public_endpoint_open_to_the_internet_is_refused(cidr: str) -> None:
    problems = problems_of(lambda c: cluster(c).update(publicEndpointCidrs=["198.51.100.0/24", cidr]))
    # (0.0.0.0/0 also contains the VPC, which the VPC-overlap check reports on the same key.)
    assert {p.split(": ")[0] for p in problems} == {f"{CLUSTER}.publicEndpointCidrs[1]"}
    assert (
        f"{CLUSTER}.publicEndpointCidrs[1]: the API endpoint is never open to the whole internet: "
        f"{cidr!r} is refused; list the CIDRs of your offices or CI runners, or leave the list empty "
        "for a private endpoint"
    ) in problems


def test_the_internet_in_two_halves_is_refused_too() -> None:
    problems = problems_of(lambda c: cluster(c).update(publicEndpointCidrs=["0.0.0.0/1", "128.0.0.0/1"]))
    for i, cidr in enumerate(["0.0.0.0/1", "128.0.0.0/1"]):
        assert (
            f"{CLUSTER}.publicEndpointCidrs[{i}]: expected a CIDR of /16 or narrower for the public API endpoint, "
            f"got {cidr!r}: list the ranges of your offices or CI runners"
        ) in problems


def test_a_narrow_public_range_is_accepted() -> None:
    assert problems_of(lambda c: cluster(c).update(publicEndpointCidrs=["203.0.113.0/24"])) == []


def test_there_is_no_switch_for_a_public_endpoint_without_cidrs() -> None:
    # The endpoint is public exactly when CIDRs are listed; a flag to open it otherwise does not exist.
    problems = problems_of(lambda c: cluster(c).update(endpointPublicAccess=True))
    assert problems == [
        f"{CLUSTER}.endpointPublicAccess: unknown key (check its spelling against docs/reference/settings.md)"
    ]


def test_a_node_group_without_a_pinned_release_is_refused() -> None:
    problems = problems_of(lambda c: group(c).pop("bottlerocketRelease"))
    assert problems == [f"{CLUSTER}.nodeGroups[0].bottlerocketRelease: required key is missing"]


@pytest.mark.parametrize("release", ["latest", "1.41.0", "v1.41.0-2b4c1d53"])
def test_a_floating_release_is_refused(release: str) -> None:
    problems = problems_of(lambda c: group(c).update(bottlerocketRelease=release))
    assert problems == [
        f"{CLUSTER}.nodeGroups[0].bottlerocketRelease: expected a pinned Bottlerocket release such "
        f"as '1.41.0-2b4c1d53' (version-commit), got {release!r}"
    ]


def test_a_hop_limit_above_one_is_refused() -> None:
    problems = problems_of(lambda c: group(c).update(metadataHopLimit=2))
    assert problems == [f"{CLUSTER}.nodeGroups[0].metadataHopLimit: expected less than or equal to 1, got 2"]


def test_a_node_group_mixing_architectures_is_refused() -> None:
    problems = problems_of(lambda c: group(c).update(instanceTypes=["m7i.large", "m7g.large"]))
    assert problems == [
        f"{CLUSTER}.nodeGroups[0].instanceTypes: expected instance types of one architecture "
        "(one Bottlerocket AMI type per group), got m7i.large, m7g.large (arm64 and x86_64): "
        "split them into two groups"
    ]


def test_an_unpinned_addon_version_is_refused() -> None:
    problems = problems_of(lambda c: cluster(c).update(addonVersions={"vpcCni": "latest"}))
    assert problems == [
        f"{CLUSTER}.addonVersions.vpcCni: expected a pinned EKS add-on version such as "
        "'v1.20.4-eksbuild.1', got 'latest'"
    ]


def test_a_kube_proxy_for_another_kubernetes_version_is_refused() -> None:
    problems = problems_of(lambda c: cluster(c).update(addonVersions={"kubeProxy": "v1.32.9-eksbuild.2"}))
    assert problems == [
        f"{CLUSTER}.addonVersions.kubeProxy: expected a kube-proxy version for Kubernetes 1.34 "
        "(v1.34.x-eksbuild.N), got 'v1.32.9-eksbuild.2'"
    ]


def test_an_unknown_addon_is_refused() -> None:
    problems = problems_of(lambda c: cluster(c).update(addonVersions={"awsEbsCsiDriver": "v1.50.0-eksbuild.1"}))
    assert problems == [
        f"{CLUSTER}.addonVersions.awsEbsCsiDriver: unknown key (check its spelling against docs/reference/settings.md)"
    ]


def test_two_admin_roles_with_one_name_are_refused() -> None:
    roles = ["arn:aws:iam::111122223333:role/platform-admins", "arn:aws:iam::111122223333:role/ops/platform-admins"]
    problems = problems_of(lambda c: cluster(c).update(adminRoleArns=roles))
    assert problems == [
        f"{CLUSTER}.adminRoleArns[{i}]: expected each admin role name once (access entries are "
        "named after it), got 'platform-admins' 2 times"
        for i in (0, 1)
    ]


def test_prod_refuses_fewer_than_three_zones_and_no_detective_controls() -> None:
    problems = problems_of(lambda c: cluster(c).update(availabilityZones=2, detectiveControls=False), "prod")
    assert problems == [
        f"{CLUSTER}.availabilityZones: expected at least 3 in prod, got 2",
        f"{CLUSTER}.detectiveControls: expected true in prod (GuardDuty EKS protection), got False",
    ]


def test_every_problem_is_reported_at_once() -> None:
    def many(config: dict[str, Any]) -> None:
        cluster(config).update(publicEndpointCidrs=["0.0.0.0/0"])
        group(config).update(metadataHopLimit=3)
        group(config).pop("bottlerocketRelease")

    paths = sorted({problem.split(": ")[0] for problem in problems_of(many)})
    assert paths == [
        f"{CLUSTER}.nodeGroups[0].bottlerocketRelease",
        f"{CLUSTER}.nodeGroups[0].metadataHopLimit",
        f"{CLUSTER}.publicEndpointCidrs[0]",
    ]


def test_defaults_are_the_hardened_choices() -> None:
    dev = settings.parse_config(stack_file_config("dev"))
    prod = settings.parse_config(stack_file_config("prod"))
    assert (dev.availability_zone_count, dev.log_retention_days, dev.detective_controls, dev.deletion_protection) == (
        2,
        90,
        False,
        False,
    )
    assert (
        prod.availability_zone_count,
        prod.log_retention_days,
        prod.detective_controls,
        prod.deletion_protection,
    ) == (3, 365, True, True)
    assert dev.cluster.node_groups[0].metadata_hop_limit == 1
    assert dev.cluster.public_endpoint_cidrs == []
    assert dev.partition == "aws"


def test_addon_versions_default_per_kubernetes_version_and_can_be_pinned_per_stack() -> None:
    for version, pins in DEFAULT_ADDON_VERSIONS.items():
        assert pins.kube_proxy.startswith(f"v{version}.")  # the defaults pass their own cross-check
    config = stack_file_config("dev")
    cluster(config).update(kubernetesVersion="1.34", addonVersions={"coredns": "v1.12.4-eksbuild.2"})
    chosen = settings.parse_config(config).addon_versions
    assert chosen.coredns == "v1.12.4-eksbuild.2"
    assert chosen.kube_proxy == DEFAULT_ADDON_VERSIONS["1.34"].kube_proxy


def test_a_node_group_becomes_the_cluster_s_node_group_options() -> None:
    """The stack file's `diskSizeGib` sizes the data volume; Graviton instance types pick the ARM AMI."""

    def graviton(config: dict[str, Any]) -> None:
        group(config).update(instanceTypes=["m7g.large", "c7g.large"], diskSizeGib=80)

    parsed = settings.parse_config(changed_config(graviton))
    options = parsed.cluster.node_groups[0].options()
    assert (options.ami_type, options.data_volume_gib) == (AmiType.BOTTLEROCKET_ARM_64, 80)
    assert list(options.instance_types) == ["m7g.large", "c7g.large"]
    x86 = settings.parse_config(stack_file_config("dev")).cluster.node_groups[0].options()
    assert (x86.ami_type, x86.data_volume_gib) == (AmiType.BOTTLEROCKET_X86_64, 50)


@pytest.mark.parametrize("stack", STACKS)
def test_the_cluster_arguments_carry_the_environment_s_defaults(stack: str) -> None:
    parsed = settings.parse_config(stack_file_config(stack))
    args = parsed.cluster_args(tags=parsed.resource_tags(stack))
    assert args.availability_zone_count == (3 if stack == "prod" else 2)
    assert args.log_retention_days == (365 if stack == "prod" else 90)
    assert args.deletion_protection is (stack == "prod")
    assert args.addon_versions == DEFAULT_ADDON_VERSIONS[parsed.cluster.kubernetes_version]
    assert [g.name for g in args.node_groups] == [g.name for g in parsed.cluster.node_groups]
    assert list(args.repositories) == [w.name for w in parsed.workloads]
    assert args.tags == {"nhi-platform/stack": stack, "nhi-platform/environment": stack}
