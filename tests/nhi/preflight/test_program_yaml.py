"""Stack files are read by libyaml when PyYAML has it: the same values as yaml.safe_load, the same errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nhi.preflight.program import load_yaml

REPO = Path(__file__).resolve().parents[3]


def test_pyyaml_here_has_libyaml() -> None:
    assert hasattr(yaml, "CSafeLoader"), "the pinned PyYAML wheel ships libyaml: the fast path is what runs"


@pytest.mark.parametrize("stack_file", sorted((REPO / "stacks").glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_our_stack_files_read_the_same(stack_file: Path) -> None:
    text = stack_file.read_text(encoding="utf-8")
    assert load_yaml(text) == yaml.safe_load(text)


def test_tricky_scalars_read_the_same() -> None:
    text = (
        "a: yes\nb: 0o17\nc: 1e3\nd: ~\ne: 2026-11-24\nf: '0012'\ng: !!str 12\nh: [1, {i: j}]\n"
        "k: |\n  two\n  lines\nl: &x {m: 1}\nn: *x\n"
    )
    assert load_yaml(text) == yaml.safe_load(text)


@pytest.mark.parametrize("text", ["config: [unclosed\n", "a: b\n  c: d\n", "key: !!python/object:os.system x\n"])
def test_errors_keep_the_pure_python_message(text: str) -> None:
    with pytest.raises(yaml.YAMLError) as expected:
        yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError) as ours:
        load_yaml(text)
    assert str(ours.value) == str(expected.value)
