"""The stack-file YAML dialect (settings.stack_yaml): values read as both YAML 1.2's core schema and the Pulumi
CLI's reader (Go's yaml.v3) read them; every form they read differently, every non-core tag, repeated key,
recursive or multiplying alias, deep nesting, oversized file and non-UTF-8 encoding refused with one line that
names the file, the line and column, and the key path."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from settings import stack_yaml
from settings.errors import StackFileError
from settings.stack_yaml import (
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    decode_stack_bytes,
    load_stack_file,
    parse_stack_text,
    read_stack_bytes,
)
from tests.conftest import REPO

SOURCE = "Pulumi.test.yaml"
PARSERS = {"libyaml": stack_yaml.EventParser, "python": stack_yaml._PythonParser}


@pytest.fixture(params=sorted(PARSERS), autouse=True)
def event_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with libyaml's parser and with PyYAML's own (for an installation without libyaml)."""
    monkeypatch.setattr(stack_yaml, "EventParser", PARSERS[request.param])
    return str(request.param)


def refused(text: str) -> StackFileError:
    with pytest.raises(StackFileError) as error:
        parse_stack_text(text, SOURCE)
    assert "\n" not in str(error.value), "one line"
    assert str(error.value).startswith(SOURCE)
    return error.value


def test_libyaml_is_what_runs_here() -> None:
    assert PARSERS["libyaml"] is not stack_yaml._PythonParser, "the pinned PyYAML wheel ships libyaml"


@pytest.mark.parametrize("stack_file", sorted((REPO / "stacks").glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_our_stack_files_read_as_before(stack_file: Path) -> None:
    # They use only forms every reader agrees on, so PyYAML (YAML 1.1) reads them the same too.
    assert load_stack_file(stack_file) == yaml.safe_load(stack_file.read_text(encoding="utf-8"))


# Plain scalars as YAML 1.2's core schema and yaml.v3 both read them.
AGREED: list[tuple[str, Any]] = [
    ("yes", "yes"),  # YAML 1.1's booleans are text
    ("no", "no"),
    ("on", "on"),
    ("Off", "Off"),
    ("y", "y"),
    ("2:14:40", "2:14:40"),  # YAML 1.1's base 60 is text: PyYAML read 8080
    ("true", True),
    ("False", False),
    ("TRUE", True),
    ("~", None),
    ("null", None),
    ("", None),
    ("8080", 8080),
    ("-12", -12),
    ("+12", 12),
    ("0", 0),
    ("007", 7),  # leading zeros that read the same either way (7 in octal too)
    ("0o17", 15),
    ("0x1F", 31),
    ("1e3", 1000.0),
    ("1.34", 1.34),
    (".5", 0.5),
    ("-.5", -0.5),
    ("18446744073709551615", 2**64 - 1),  # a uint64 for yaml.v3
    ("10.20.0.0/16", "10.20.0.0/16"),
    ("1.41.0-2b4c1d53", "1.41.0-2b4c1d53"),
    ("0x", "0x"),
    ("+", "+"),
    ("-x", "-x"),
    ("<<", "<<"),  # a merge only as a key
]


@pytest.mark.parametrize(("text", "value"), AGREED, ids=[t or "empty" for t, _ in AGREED])
def test_plain_scalars_read_as_both_readers_read_them(text: str, value: Any) -> None:
    read = parse_stack_text(f"value: {text}\n", SOURCE)["value"]
    assert (read, type(read)) == (value, type(value))


# Forms yaml.v3 (the Pulumi CLI) and YAML 1.2 read differently, or JSON cannot carry: refused, with the reason.
DISAGREED = [
    ("0777", "0777 is 511 to the Pulumi CLI (yaml.v3) but 777 in YAML 1.2"),
    ("-012", "-012 is -10 to the Pulumi CLI (yaml.v3) but -12 in YAML 1.2"),
    ("08", "08 is 8.0 to the Pulumi CLI (yaml.v3) but 8 in YAML 1.2"),
    ("0b101", "0b101 is the number 5 to the Pulumi CLI (yaml.v3) but text in YAML 1.2"),
    ("1_000", "1_000 is the number 1000 to the Pulumi CLI (yaml.v3) but text in YAML 1.2"),
    ("0X1F", "0X1F is the number 31 to the Pulumi CLI (yaml.v3) but text in YAML 1.2"),
    ("+0x1F", "+0x1F is the number 31 to the Pulumi CLI (yaml.v3) but text in YAML 1.2"),
    ("-0o17", "-0o17 is the number -15 to the Pulumi CLI (yaml.v3) but text in YAML 1.2"),
    ("123456789012345678901", "123456789012345678901 is beyond 64 bits"),
    ("9" * 5000, "99999999999999999999... is an integer of 5000 characters, beyond 64 bits"),
    ("0b" + "1" * 200, "0b111111111111111111... is an integer of 202 characters, beyond 64 bits"),
    ("2026-11-24", "2026-11-24 is a timestamp to the Pulumi CLI (yaml.v3)"),
    ("2026-11-24T10:00:00Z", "2026-11-24T10:00:00Z is a timestamp to the Pulumi CLI (yaml.v3)"),
    (".inf", ".inf is not a finite number"),
    ("-.Inf", "-.Inf is not a finite number"),
    (".nan", ".nan is not a finite number"),
    ("1e999", "1e999 is not a finite number"),
]


@pytest.mark.parametrize(("text", "reason"), DISAGREED, ids=[t[:24] for t, _ in DISAGREED])
def test_forms_the_readers_disagree_on_are_refused_where_they_are(text: str, reason: str) -> None:
    error = refused(f"config:\n  nhi-platform:workloads:\n    - name: a\n      port: {text}\n")
    assert str(error) == (
        f"{SOURCE}, line 4, column 13 (nhi-platform:workloads[0].port): {reason}"
        + str(error).split(reason, 1)[1]  # and what to do
    )
    assert (error.line, error.key) == (4, "nhi-platform:workloads[0].port")
    assert "quote it to mean the text" in str(error)
    # Quoted, it is the text.
    assert parse_stack_text(f"port: '{text}'\n", SOURCE) == {"port": text}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("!!str 0777", "0777"),
        ("!!int 12", 12),
        ("!!float 1", 1.0),
        ("!!bool true", True),
        ("!!null ~", None),
        ("! 3", "3"),  # the non-specific tag: text
        ('!!int "12"', 12),
        ("!!map {a: 1}", {"a": 1}),
        ("!!seq [1]", [1]),
    ],
)
def test_core_tags_are_read(text: str, value: Any) -> None:
    assert parse_stack_text(f"value: {text}\n", SOURCE) == {"value": value}


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("!!timestamp 2001-12-14", "!!timestamp"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!set {a: null, b: null}", "!!set"),
        ("!!omap [{a: 1}]", "!!omap"),
        ("!!python/object:os.system x", "!!python/object:os.system"),
        ("!!python/name:os.system ''", "!!python/name:os.system"),
        ("!Ref other", "!Ref"),
        ("!!map [1]", "!!map"),
    ],
)
def test_other_tags_are_refused_naming_the_tag(text: str, tag: str) -> None:
    error = refused(f"config:\n  aws:defaultTags:\n    tags: {{when: {text}}}\n")
    assert str(error).startswith(f"{SOURCE}, line 3, column 18 (aws:defaultTags.tags.when): the tag {tag} is not part")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!!int 0777", "0777 is 511 to the Pulumi CLI"),
        ("!!int yes", "'yes' is not a !!int value both readers agree on"),
        ("!!bool on", "'on' is not a !!bool value both readers agree on"),
        ("!!null x", "'x' is not a !!null value both readers agree on"),
    ],
)
def test_a_core_tag_on_a_value_of_another_type_is_refused(text: str, message: str) -> None:
    assert message in str(refused(f"value: {text}\n"))


def test_a_repeated_key_is_refused_with_both_lines_and_the_key_path() -> None:
    text = "config:\n  nhi-platform:workloads:\n    - name: a\n      port: 8080\n      port: 9090\n"
    error = refused(text)
    assert str(error) == (
        f"{SOURCE}, line 5, column 7 (nhi-platform:workloads[0]): the key 'port' is given twice in one mapping "
        "(first at line 4): give it once"
    )
    assert "the key 'a' is given twice" in str(refused("{a: 1, b: 2, a: 3}\n"))
    assert "the key 'config' is given twice" in str(refused("config: {}\nconfig: {}\n"))
    # A quoted and a plain spelling are one key (as for yaml.v3).
    assert "the key 'a' is given twice" in str(refused("a: 1\n'a': 2\n"))


@pytest.mark.parametrize("key", ["8080", "true", "null", "1.5", "[a]", "{a: 1}"])
def test_a_key_that_is_not_text_is_refused(key: str) -> None:
    assert "a key is text" in str(refused(f"config:\n  {key}: x\n"))


def test_merge_keys_read_as_yaml_v3_reads_them() -> None:
    text = (
        "base: &base {port: 8080, replicas: 2, namespace: shop}\n"
        "other: &other {replicas: 5, identity: irsa}\n"
        "own_keys_win: {replicas: 3, <<: *base}\n"
        "earlier_merge_wins: {<<: [*other, *base]}\n"
    )
    document = parse_stack_text(text, SOURCE)
    assert document["own_keys_win"] == {"replicas": 3, "port": 8080, "namespace": "shop"}
    assert document["earlier_merge_wins"] == {"replicas": 5, "identity": "irsa", "port": 8080, "namespace": "shop"}
    assert "the key '<<' is given twice" in str(refused("b: &b {x: 1}\nm: {<<: *b, <<: *b}\n"))
    assert "`<<` merges a mapping or a list of mappings" in str(refused("m: {<<: [1]}\n"))


def test_a_recursive_alias_is_refused() -> None:
    error = refused("config:\n  nhi-platform:workloads: &loop [*loop]\n")
    assert str(error) == (
        f"{SOURCE}, line 2, column 34 (nhi-platform:workloads[0]): the alias *loop is inside its own anchor "
        "(a value that contains itself)"
    )
    assert "inside its own anchor" in str(refused("a: &m {b: *m}\n"))
    assert "names no anchor before it" in str(refused("a: *nowhere\n"))
    assert str(refused("a: &x 1\nb: &x [2]\nc: *x\n")) == (
        f"{SOURCE}, line 2, column 4 (b): the anchor &x is defined twice (first at line 1): give each its own name"
    )


def billion_laughs(levels: int) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_aliases_that_multiply_are_refused_before_they_expand() -> None:
    text = billion_laughs(10)  # 10**10 values when expanded, from 700 bytes
    assert len(text) < 1024
    error = refused(text)
    assert f"aliases expand to more than {MAX_ALIAS_VALUES:,} values" in str(error)
    # Sharing a few values is fine: 4 levels expand to 11,110 values.
    assert len(parse_stack_text(billion_laughs(4), SOURCE)["a3"][9][9][9]) == 10


@pytest.mark.parametrize(
    "nested",
    [
        "[" * 10_000 + "]" * 10_000,  # flow (libyaml's own composer overflows the C stack at about 100,000)
        "".join(f"\n{'  ' * i}- " for i in range(1, 200)) + "x",  # block
        "".join(f"\n{' ' * i}k:" for i in range(1, 200)) + " x",
    ],
    ids=["flow", "block-list", "block-map"],
)
def test_deep_nesting_is_refused(nested: str) -> None:
    assert f"nested deeper than {MAX_DEPTH} levels" in str(refused(f"value: {nested}\n"))
    ok = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert parse_stack_text(f"value: {ok}\n", SOURCE) is not None


def test_one_document_only() -> None:
    assert "a stack file is one YAML document" in str(refused("config: {}\n---\nconfig: {}\n"))
    assert parse_stack_text("", SOURCE) is None
    assert parse_stack_text("---\nconfig: {}\n...\n", SOURCE) == {"config": {}}


def test_a_syntax_error_names_the_line() -> None:
    error = refused("config:\n  aws:region: [eu-west-1\n")
    assert str(error).startswith(f"{SOURCE}, line 3, column 1: not valid YAML: ")
    assert "not valid YAML" in str(refused("a: b\n  c: d\n"))
    assert "not valid YAML" in str(refused("a: \x07\n"))  # a control character


# --- Bytes: encodings, sizes, files ----------------------------------------------------------------------


def test_utf8_with_or_without_a_byte_order_mark_keeps_its_line_endings() -> None:
    assert decode_stack_bytes("a: é\r\n".encode(), SOURCE) == "a: é\r\n"
    assert decode_stack_bytes(b"\xef\xbb\xbfa: 1\n", SOURCE) == "a: 1\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("a: é\n".encode("utf-16"), "is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8"),
        (
            "a: é\n".encode("utf-16-be"),
            "has a NUL byte at offset 0 (line 1): UTF-16 or UTF-32 with no byte order mark?",
        ),
        (b"\xfe\xff\x00a", "is UTF-16"),
        ("a: 1\nb: é\n".encode("utf-32"), "is UTF-32"),
        ("a: 1\nb: café\n".encode("latin-1"), "is not UTF-8: byte 0xe9 at offset 11 (line 2)"),
        (b"\xef\xbb\xbfa: 1\nb: \xff\n", "is not UTF-8: byte 0xff at offset 11 (line 2)"),
        (b"a: \xc3\n", "is not UTF-8: byte 0xc3 at offset 3 (line 1)"),
    ],
    ids=["utf-16-le-bom", "utf-16-be", "utf-16-be-bom", "utf-32", "latin-1", "invalid-after-bom", "truncated"],
)
def test_other_encodings_are_refused_with_the_offset(data: bytes, message: str) -> None:
    with pytest.raises(StackFileError) as error:
        decode_stack_bytes(data, SOURCE)
    assert str(error.value).startswith(f"{SOURCE}: {message}")


def test_files_that_are_not_stack_files_are_refused_naming_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def message(path: Path) -> str:
        with pytest.raises(StackFileError) as error:
            read_stack_bytes(path)
        return str(error.value)

    assert message(tmp_path / "missing.yaml") == f"{tmp_path / 'missing.yaml'}: does not exist"
    assert message(tmp_path) == f"{tmp_path}: is a directory, not a stack file"
    os.mkfifo(tmp_path / "pipe.yaml")
    assert message(tmp_path / "pipe.yaml") == f"{tmp_path / 'pipe.yaml'}: is not a regular file"
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" * 100)
    monkeypatch.setattr(stack_yaml, "MAX_BYTES", 499)
    assert message(big) == f"{big}: is 500 bytes, more than a stack file may be (499)"

    def denied(*_: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)  # as root, a chmod 000 file is still readable
    assert message(big) == f"{big}: cannot be read: Permission denied"


def test_the_generated_benchmark_stacks_read_as_before() -> None:
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from stackgen import generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    text = yaml.safe_dump(generate(50), sort_keys=False)
    assert parse_stack_text(text, SOURCE) == yaml.safe_load(text)


YAMLISH = "abc019_.-+:,#&*!|>'\"%@`[]{}?<=~ \t\n\r\x85\u2028é\x00\x07\ufeff"


@hypothesis_settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=YAMLISH, max_size=120) | st.binary(max_size=120))
def test_any_input_is_read_or_refused_in_one_line(data: str | bytes) -> None:
    try:
        text = data if isinstance(data, str) else decode_stack_bytes(data, SOURCE)
        parse_stack_text(text, SOURCE)
    except StackFileError as error:
        assert str(error).startswith(SOURCE) and "\n" not in str(error)
