"""Stack files: the three real stacks validate, and bad ones are refused with every problem, each with its
key path and what was expected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import settings
from nhi.cli import main
from tests.conftest import REPO, STACKS, stack_file_config, write_stack_file

W = "nhi-platform:workloads"
C = "nhi-platform:cluster"


@pytest.mark.parametrize("stack", STACKS)
def test_our_stacks_are_valid(stack: str) -> None:
    parsed = settings.stack_file_settings(REPO / "stacks" / f"Pulumi.{stack}.yaml")
    assert parsed.environment.value == stack
    assert parsed.account_id == "111122223333"


def test_prod_is_realistic() -> None:
    prod = settings.stack_file_settings(REPO / "stacks" / "Pulumi.prod.yaml")
    assert len(prod.workloads) >= 12
    assert len({w.namespace for w in prod.workloads}) >= 4
    flows = [(w.name, f.to) for w in prod.workloads for f in w.egress if f.to]
    assert len(flows) >= 10
    assert {w.identity for w in prod.workloads} == {settings.IdentityMode.POD_IDENTITY, settings.IdentityMode.IRSA}


def _problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(settings.SettingsError) as raised:
        settings.parse_config(config)
    return [str(p) for p in raised.value.problems]


def _workload(config: dict[str, Any], name: str) -> tuple[int, dict[str, Any]]:
    return next((i, w) for i, w in enumerate(config[W]) if w["name"] == name)


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        target = config
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _set([W, 0, "rollout", "active"], "purple"),
            f"{W}[0].rollout.active: expected 'blue' or 'green', got 'purple'",
        ),
        (
            _set([W, 0, "rollout", "blue"], "111122223333.dkr.ecr.eu-west-1.amazonaws.com/gateway:latest"),
            f"{W}[0].rollout.blue: expected an image pinned by digest, REGISTRY/REPOSITORY@sha256:<64 hex>, "
            "got '111122223333.dkr.ecr.eu-west-1.amazonaws.com/gateway:latest' (tags are mutable and are refused)",
        ),
        (
            _set([W, 0, "identity"], "static-keys"),
            f"{W}[0].identity: expected 'pod-identity' or 'irsa', got 'static-keys'",
        ),
        (_set([W, 0, "replicas"], "3"), f"{W}[0].replicas: expected a valid integer, got '3'"),
        (_set([W, 0, "port"], 70000), f"{W}[0].port: expected less than or equal to 65535, got 70000"),
        (
            _set([W, 0, "namespace"], "kube-system"),
            f"{W}[0].namespace: expected an application namespace, got reserved namespace 'kube-system'",
        ),
        (
            _set([W, 0, "replica"], 3),
            f"{W}[0].replica: unknown key (check its spelling against docs/reference/settings.md)",
        ),
        (
            _set(["nhi-platform:environment"], "qa"),
            "nhi-platform:environment: expected 'dev', 'staging' or 'prod', got 'qa'",
        ),
        (_set([C, "kubernetesVersion"], 1.34), f"{C}.kubernetesVersion: expected a valid string, got 1.34"),
        (
            _set([C, "kubernetesVersion"], "1.33"),
            f"{C}.kubernetesVersion: expected one of 1.34 (as a quoted string), got '1.33'",
        ),
        (
            _set([C, "vpcCidr"], "8.8.0.0/16"),
            f"{C}.vpcCidr: expected a private IPv4 CIDR from /16 to /20 (room for 3 public and 3 private subnets), "
            "got '8.8.0.0/16'",
        ),
        (
            _set([C, "publicEndpointCidrs"], ["0.0.0.0/0"]),
            f"{C}.publicEndpointCidrs[0]: the API endpoint is never open to the whole internet",
        ),
        (
            _set([C, "publicEndpointCidrs"], ["::/0"]),
            f"{C}.publicEndpointCidrs[0]: the API endpoint is never open to the whole internet",
        ),
        (
            _set([C, "adminRoleArns"], ["arn:aws:iam::111122223333:user/alice"]),
            f"{C}.adminRoleArns[0]: expected an IAM role ARN",
        ),
        (
            _set([C, "nodeGroups", 0, "bottlerocketRelease"], "latest"),
            f"{C}.nodeGroups[0].bottlerocketRelease: expected a pinned Bottlerocket release such as "
            "'1.41.0-2b4c1d53' (version-commit), got 'latest'",
        ),
        (
            _set([C, "nodeGroups", 0, "metadataHopLimit"], 2),
            f"{C}.nodeGroups[0].metadataHopLimit: expected less than or equal to 1, got 2",
        ),
        (
            _set([C, "nodeGroups", 0, "minSize"], 5),
            f"{C}.nodeGroups[0]: expected minSize <= desiredSize <= maxSize, got 5 / 3 / 9",
        ),
        (_set([C, "availabilityZones"], 2), f"{C}.availabilityZones: expected at least 3 in prod, got 2"),
        (_set(["aws:allowedAccountIds"], []), "aws:allowedAccountIds: expected a list with at least 1 item"),
        (_set(["nhi-platform:surprise"], True), "nhi-platform:surprise: unknown key"),
    ],
)
def test_bad_values_are_refused_with_their_key_path(change: Callable[[dict[str, Any]], None], expected: str) -> None:
    config = stack_file_config("prod")
    change(config)
    problems = _problems(config)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_missing_node_group_release_is_refused() -> None:
    config = stack_file_config("prod")
    del config[C]["nodeGroups"][1]["bottlerocketRelease"]
    assert f"{C}.nodeGroups[1].bottlerocketRelease: required key is missing" in _problems(config)


def test_flows_must_name_known_workloads_and_be_declared_at_both_ends() -> None:
    config = stack_file_config("prod")
    index, payments = _workload(config, "payments")
    payments["egress"][0]["to"] = "ledgr"
    problems = _problems(config)
    ledger_index, _ = _workload(config, "ledger")
    assert any(
        p.startswith(f"{W}[{index}].egress[0].to: expected the name of a workload in this stack (")
        and p.endswith("got 'ledgr'")
        for p in problems
    ), problems
    # ledger still expects payments, which no longer declares the egress.
    assert (
        f"{W}[{ledger_index}].ingress[0]: 'payments' must declare the matching egress {{to: ledger, port: 5432}} "
        "(both ends of a flow are declared)"
    ) in problems


def test_egress_to_a_workload_must_use_its_port() -> None:
    config = stack_file_config("prod")
    index, payments = _workload(config, "payments")
    payments["egress"][0]["port"] = 5433
    assert f"{W}[{index}].egress[0].port: expected 'ledger''s port 5432, got 5433" in _problems(config)


def test_images_must_come_from_allowed_registries() -> None:
    config = stack_file_config("dev")
    config[W][0]["rollout"]["green"] = "docker.io/library/nginx@sha256:" + "a" * 64
    assert (
        f"{W}[0].rollout.green: expected an image from an allowed registry "
        "(111122223333.dkr.ecr.eu-west-1.amazonaws.com), got one from 'docker.io'"
    ) in _problems(config)


def test_egress_to_the_whole_internet_is_refused() -> None:
    config = stack_file_config("dev")
    config[W][0]["egress"].append({"cidr": "0.0.0.0/0", "port": 443})
    problems = _problems(config)
    assert any(
        p.startswith(f"{W}[0].egress[{len(config[W][0]['egress']) - 1}]: egress to the whole internet")
        for p in problems
    ), problems


def test_every_problem_is_reported_at_once() -> None:
    config = stack_file_config("prod")
    config[W][0]["rollout"]["active"] = "purple"
    config[W][3]["replicas"] = 0
    config[C]["nodeGroups"][0]["bottlerocketRelease"] = "latest"
    problems = _problems(config)
    assert {p.split(":", 2)[0] + ":" + p.split(":", 2)[1] for p in problems} == {
        f"{W}[0].rollout.active",
        f"{W}[3].replicas",
        f"{C}.nodeGroups[0].bottlerocketRelease",
    }


def test_a_bad_stack_file_stops_the_preflight_before_any_resource(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = stack_file_config("dev")
    config[W][0]["rollout"]["active"] = "purple"
    config[C]["nodeGroups"][0]["bottlerocketRelease"] = "latest"
    stack_file = write_stack_file(tmp_path, "dev", config)
    code = main(
        ["preflight", "--stack-file", str(stack_file), "--policy-pack", str(REPO / "tests" / "packs" / "simple")]
    )
    out, err = capsys.readouterr()
    assert code == 2
    assert f"{stack_file.name}" not in out
    assert "stack 'dev' has 2 problems:" in err
    assert f"{W}[0].rollout.active: expected 'blue' or 'green', got 'purple'" in err
    assert f"{C}.nodeGroups[0].bottlerocketRelease: expected a pinned Bottlerocket release" in err
    assert "Traceback" not in err
