"""A value of the wrong shape anywhere in a stack file (a list where a name goes, a number where a list goes) is
a settings problem naming its key path, never a TypeError from a cross-check that hashed or iterated it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from settings import SettingsError, parse_config
from settings.crosscheck import rollout_transition
from settings.errors import join_path
from tests.conftest import STACKS, stack_file_config

HOSTILE: list[Any] = [[], ["x"], [["x"]], [{"a": 1}], {}, {"a": 1}, None, True, 7, 1.5, "x"]
W = "nhi-platform:workloads"


def key_paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every key path of a config, the first two items of each list included."""
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from key_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:2]):
            yield from key_paths(item, (*prefix, index))


def replaced(config: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    node: Any = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = copy.deepcopy(value)
    return changed


@pytest.mark.parametrize("stack", STACKS)
def test_every_key_given_a_value_of_another_shape_is_a_settings_problem(stack: str) -> None:
    config = stack_file_config(stack)
    crashes = []
    for path in key_paths(config):
        for value in HOSTILE:
            try:
                parse_config(replaced(config, path, value))
            except SettingsError as error:
                assert all(problem.path for problem in error.problems)
            except Exception as error:  # every crash, reported together
                crashes.append(f"{join_path(path)} = {value!r}: {type(error).__name__}: {error}")
    assert crashes == []


@pytest.mark.parametrize("value", [["shop"], {"name": "shop"}])
def test_a_namespace_given_as_a_list_or_mapping_names_its_key(value: Any) -> None:
    config = replaced(stack_file_config("dev"), (W, 0, "namespace"), value)
    with pytest.raises(SettingsError) as error:
        parse_config(config)
    kind = "list" if isinstance(value, list) else "dict"
    assert [str(p) for p in error.value.problems] == [f"{W}[0].namespace: expected a valid string, got {kind}"]


@pytest.mark.parametrize("value", HOSTILE)
def test_the_rollout_transition_rule_takes_any_shape_of_name(value: Any) -> None:
    before = stack_file_config("dev")
    after = replaced(before, (W, 0, "name"), value)
    assert rollout_transition(after, before) == []
    assert rollout_transition(before, after) == []


def test_a_refused_port_is_reported_once_not_again_by_every_flow_that_names_it() -> None:
    config = stack_file_config("dev")
    for workload in config[W]:
        workload["port"] = "2:14:40"  # what YAML 1.1 read as 8080; text for the Pulumi CLI and for settings
    with pytest.raises(SettingsError) as error:
        parse_config(config)
    assert {str(p) for p in error.value.problems} == {
        f"{W}[{index}].port: expected a valid integer, got '2:14:40'" for index in range(len(config[W]))
    }


@pytest.mark.parametrize(
    "region",
    ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-2", "il-central-1", "us-iso-east-1", "us-isob-east-1"],
)
def test_an_aws_region_name_is_accepted(region: str) -> None:
    config = stack_file_config("dev")
    config["aws:region"] = region
    config["nhi-platform:allowedRegistries"] = ["111122223333.dkr.ecr.eu-west-1.amazonaws.com"]  # the images' own
    assert parse_config(config).region == region


@pytest.mark.parametrize("region", ["mars", "eu-west", "EU-WEST-1", "eu-west-1\n", "eu_west_1", "eu-west-12", ""])
def test_anything_else_as_the_region_is_refused_at_its_key(region: str) -> None:
    config = stack_file_config("dev")
    config["aws:region"] = region
    with pytest.raises(SettingsError) as error:
        parse_config(config)
    assert f"aws:region: expected an AWS region name such as eu-west-1 or us-gov-west-1, got {region!r}" in {
        str(p) for p in error.value.problems
    }
