"""Rollout settings: slots and digests, the gate's image, idle replicas, names the rollout reserves, and the
transition rule (the live slot keeps its image), each refused with its key path and a message that says
what to do."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

import pytest

import settings
from settings.crosscheck import (
    GATE_REQUIRED,
    IDLE_ABOVE_REPLICAS,
    NAME_COLLIDES,
    RELEASE_ONTO_LIVE,
    RELEASE_WITH_PROMOTE,
    ROLLOUT_GATE,
    rollout_transition,
)
from tests.conftest import STACKS, stack_file_config

W = "nhi-platform:workloads"
REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
NEW = f"{REGISTRY}/payments@sha256:{'e' * 64}"


def problems_after(change: Callable[[dict[str, Any]], None], stack: str = "prod") -> dict[str, str]:
    config = stack_file_config(stack)
    change(config)
    with pytest.raises(settings.SettingsError) as error:
        settings.parse_config(config)
    return {p.path: p.message for p in error.value.problems}


def index_of(config: dict[str, Any], name: str) -> int:
    return next(i for i, w in enumerate(config[W]) if w["name"] == name)


def rollout_of(config: dict[str, Any], name: str) -> dict[str, Any]:
    return config[W][index_of(config, name)]["rollout"]


P = index_of(stack_file_config("prod"), "payments")


def test_a_tag_instead_of_a_digest_is_refused() -> None:
    found = problems_after(lambda c: rollout_of(c, "payments").update(green=f"{REGISTRY}/payments:2.0"))
    assert found == {
        f"{W}[{P}].rollout.green": "expected an image pinned by digest, REGISTRY/REPOSITORY@sha256:<64 hex>, "
        f"got '{REGISTRY}/payments:2.0' (tags are mutable and are refused)"
    }


def test_an_unknown_slot_name_is_refused_as_active_and_as_a_key() -> None:
    assert problems_after(lambda c: rollout_of(c, "payments").update(active="purple")) == {
        f"{W}[{P}].rollout.active": "expected 'blue' or 'green', got 'purple'"
    }
    found = problems_after(lambda c: rollout_of(c, "payments").update(purple=NEW))
    assert found == {f"{W}[{P}].rollout.purple": "unknown key (check its spelling against docs/reference/settings.md)"}


def test_a_release_onto_the_live_slot_is_refused_by_the_transition_rule() -> None:
    before = stack_file_config("prod")
    after = copy.deepcopy(before)
    rollout_of(after, "payments")["blue"] = NEW  # blue is live
    settings.parse_config(after)  # one file alone cannot tell: it is a valid stack
    assert [str(p) for p in rollout_transition(before, after)] == [
        f"{W}[{P}].rollout.blue: " + RELEASE_ONTO_LIVE.format(slot="blue", idle="green")
    ]


def test_a_release_and_a_promote_in_one_change_is_refused() -> None:
    before = stack_file_config("prod")
    after = copy.deepcopy(before)
    rollout_of(after, "payments").update(green=NEW, active="green")
    assert [str(p) for p in rollout_transition(before, after)] == [
        f"{W}[{P}].rollout.green: " + RELEASE_WITH_PROMOTE.format(slot="green")
    ]


def test_release_promote_and_rollback_pass_the_transition_rule() -> None:
    base = stack_file_config("prod")
    released = copy.deepcopy(base)
    rollout_of(released, "payments")["green"] = NEW
    promoted = copy.deepcopy(released)
    rollout_of(promoted, "payments")["active"] = "green"
    steps = [base, released, promoted, released]  # the last is the rollback
    assert [rollout_transition(a, b) for a, b in itertools.pairwise(steps)] == [[], [], []]
    added = copy.deepcopy(base)
    added[W].append({**copy.deepcopy(base[W][P]), "name": "payments-v2"})
    assert rollout_transition(base, added) == []  # a new workload has no live slot yet


def test_the_gate_image_is_required_with_workloads_by_digest_and_from_an_allowed_registry() -> None:
    assert problems_after(lambda c: c.pop(ROLLOUT_GATE)) == {ROLLOUT_GATE: GATE_REQUIRED}
    by_tag = problems_after(lambda c: c[ROLLOUT_GATE].update(image=f"{REGISTRY}/platform/rollout-gate:1"))
    assert list(by_tag) == [f"{ROLLOUT_GATE}.image"] and "pinned by digest" in by_tag[f"{ROLLOUT_GATE}.image"]
    foreign = problems_after(lambda c: c[ROLLOUT_GATE].update(image=f"docker.io/curlimages/curl@sha256:{'a' * 64}"))
    assert foreign == {
        f"{ROLLOUT_GATE}.image": f"expected an image from an allowed registry ({REGISTRY}), got one from 'docker.io'"
    }

    def no_workloads(config: dict[str, Any]) -> None:
        config.pop(ROLLOUT_GATE)
        config[W] = []

    empty = stack_file_config("dev")
    no_workloads(empty)
    assert settings.parse_config(empty).gate_image is None


@pytest.mark.parametrize("stack", STACKS)
def test_idle_replicas_default_to_full_size_in_prod_and_one_elsewhere(stack: str) -> None:
    loaded = settings.parse_config(stack_file_config(stack))
    for w in loaded.workloads:
        assert loaded.idle_replicas(w) == (w.replicas if stack == "prod" else 1)
    assert loaded.gate_image == stack_file_config(stack)[ROLLOUT_GATE]["image"]


def test_idle_replicas_may_be_zero_but_not_above_replicas() -> None:
    config = stack_file_config("prod")
    rollout_of(config, "payments")["idleReplicas"] = 0
    loaded = settings.parse_config(config)
    assert loaded.idle_replicas(loaded.workloads[P]) == 0
    assert problems_after(lambda c: rollout_of(c, "payments").update(idleReplicas=4)) == {
        f"{W}[{P}].rollout.idleReplicas": IDLE_ABOVE_REPLICAS.format(replicas=3, idle=4)
    }
    assert f"{W}[{P}].rollout.idleReplicas" in problems_after(
        lambda c: rollout_of(c, "payments").update(idleReplicas=-1)
    )


@pytest.mark.parametrize("suffix", ["preview", "gate"])
def test_a_workload_named_after_another_ones_rollout_objects_is_refused(suffix: str) -> None:
    def clash(config: dict[str, Any]) -> None:
        twin = copy.deepcopy(config[W][P])
        twin.update(name=f"payments-{suffix}", ingress=[], egress=[])
        config[W].append(twin)

    found = problems_after(clash)
    index = len(stack_file_config("prod")[W])
    assert found == {f"{W}[{index}].name": NAME_COLLIDES.format(name=f"payments-{suffix}", base="payments")}
