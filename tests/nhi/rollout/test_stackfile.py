"""Stack-file edits in place: one scalar changes, every other byte stays (comments, quotes, flow-style
mappings and their line wrapping, line endings), and the result is checked by settings before anything is
written (test_file_edit: how it is written)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nhi.rollout.errors import RolloutRefused
from nhi.rollout.stackfile import NOT_IN_PLACE, NOT_VALID_AFTER, StackFile, ValueEdit
from settings.crosscheck import RELEASE_ONTO_LIVE
from tests.conftest import REPO, STACKS

W = "nhi-platform:workloads"
REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
NEW = f"{REGISTRY}/cart@sha256:{'e' * 64}"
# `changed_lines(before, after)` (a fixture): the (old line, new line) pairs that differ.
ChangedLines = Callable[[str, str], list[tuple[str, str]]]


def index_of(file: StackFile, name: str) -> int:
    return next(i for i, w in enumerate(file.config[W]) if w["name"] == name)


@pytest.mark.parametrize("stack", STACKS)
def test_a_release_changes_one_token_and_every_other_byte_stays(stack: str, changed_lines: ChangedLines) -> None:
    file = StackFile.read(REPO / "stacks" / f"Pulumi.{stack}.yaml")
    index = index_of(file, "cart")
    old = file.config[W][index]["rollout"]["green"]
    text, parsed = file.checked_edit([ValueEdit(("config", W, index, "rollout", "green"), old, NEW)])
    assert changed_lines(file.text, text) == [(f"        green: {old}\n", f"        green: {NEW}\n")]
    assert parsed.workloads[index].rollout.green == NEW
    # Ruamel's own emitter would re-wrap the node groups' two-line flow mappings; the edit keeps them.
    assert "maxSize" in text and text.count("bottlerocketRelease") == file.text.count("bottlerocketRelease")
    assert [line for line in text.splitlines() if "#" in line] == [
        line for line in file.text.splitlines() if "#" in line
    ]


def test_flow_style_and_quotes_survive_edits_on_one_line(
    tmp_path: Path, flow_stack: str, changed_lines: ChangedLines
) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(flow_stack)
    file = StackFile.read(path)
    green = f"{REGISTRY}/cart@sha256:{'b' * 64}"
    blue = f"{REGISTRY}/cart@sha256:{'a' * 64}"
    # Two values of one flow mapping at once (right to left, so columns hold), each keeping its quoting.
    text = file.edited_text(
        [
            ValueEdit(("config", W, 0, "rollout", "active"), "blue", "green"),
            ValueEdit(("config", W, 0, "rollout", "blue"), blue, NEW),
        ]
    )
    assert changed_lines(flow_stack, text) == [
        (
            f"    rollout: {{active: \"blue\", blue: '{blue}', green: {green}}}   # slots\n",
            f"    rollout: {{active: \"green\", blue: '{NEW}', green: {green}}}   # slots\n",
        )
    ]
    # A plain scalar keeps its style too.
    text = file.edited_text([ValueEdit(("config", W, 0, "rollout", "green"), green, NEW)])
    assert changed_lines(flow_stack, text) == [
        (
            f"    rollout: {{active: \"blue\", blue: '{blue}', green: {green}}}   # slots\n",
            f"    rollout: {{active: \"blue\", blue: '{blue}', green: {NEW}}}   # slots\n",
        )
    ]


def test_a_value_that_is_not_a_one_line_scalar_is_refused(tmp_path: Path, flow_stack: str) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    green = f"{REGISTRY}/cart@sha256:{'b' * 64}"
    # A plain scalar folded over two lines: still valid YAML, but no single token to replace.
    path.write_text(flow_stack.replace(f"green: {green}}}", f"green: {green[:20]}\n      {green[20:]}}}"))
    file = StackFile.read(path)
    assert file.config[W][0]["rollout"]["green"] == f"{green[:20]} {green[20:]}"
    edit = ValueEdit(("config", W, 0, "rollout", "green"), file.config[W][0]["rollout"]["green"], NEW)
    with pytest.raises(RolloutRefused) as refused:
        file.edited_text([edit])
    assert refused.value.message == NOT_IN_PLACE.format(key=f"{W}[0].rollout.green", path=path)


def test_an_edit_that_breaks_the_settings_or_the_transition_rule_is_refused(tmp_path: Path) -> None:
    file = StackFile.read(REPO / "stacks" / "Pulumi.dev.yaml")
    index = index_of(file, "cart")
    with pytest.raises(RolloutRefused) as bad_slot:
        file.checked_edit([ValueEdit(("config", W, index, "rollout", "active"), "blue", "purple")])
    assert bad_slot.value.message == NOT_VALID_AFTER.format(
        path=file.path, problems=f"{W}[{index}].rollout.active: expected 'blue' or 'green', got 'purple'"
    )
    live = file.config[W][index]["rollout"]["blue"]
    with pytest.raises(RolloutRefused) as onto_live:
        file.checked_edit([ValueEdit(("config", W, index, "rollout", "blue"), live, NEW)])
    assert onto_live.value.message == NOT_VALID_AFTER.format(
        path=file.path, problems=f"{W}[{index}].rollout.blue: " + RELEASE_ONTO_LIVE.format(slot="blue", idle="green")
    )
