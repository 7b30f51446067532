"""The one YAML dialect of stack files: every reader of a `Pulumi.<stack>.yaml` in this project reads it here.

The Pulumi CLI reads stack files with Go's yaml.v3 (a YAML 1.2 reader that keeps a few YAML 1.1 habits); the
program then receives what the CLI read. So this module reads a value the way both YAML 1.2's core schema and
yaml.v3 read it, and refuses, with the file, line, column and key path, every form the two read differently
(PyYAML, a YAML 1.1 reader, reads `port: 2:14:40` as 8080 and `0777` as 511):

- plain scalars: `true`/`false` (any case form of the core schema), `null`/`~`/empty, decimal integers,
  `0o17`, `0x1F`, decimal floats; `yes`, `no`, `on`, `off` and `2:14:40` are text (as for yaml.v3). Refused:
  `0777` and `08` (leading zeros: octal or a float for yaml.v3, decimal for YAML 1.2), `0b101`, `1_000`,
  `0X1F`, `+0x1F` (numbers for yaml.v3 only), integers beyond 64 bits (a float for yaml.v3), unquoted dates and
  times (`2026-11-24`: a timestamp for yaml.v3, which Pulumi passes on as `2026-11-24 00:00:00 +0000 UTC`),
  `.inf`, `.nan` and overflowing floats (config travels as JSON, which has no such numbers). Quote any of them
  to mean the text.
- tags: only the core ones (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`, `!!seq`, and `!`).
  Dates, `!!binary`, `!!set`, `!!python/...` and application tags (`!Ref`) are refused.
- keys: text only, each at most once per mapping (yaml.v3 refuses a repeated key too); `<<` merges as in
  yaml.v3 (the mapping's own keys win, then earlier merged mappings).
- anchors: each name defined once; aliases: never recursive, and together they may expand the document by at most
  `MAX_ALIAS_VALUES` values;
  nesting at most `MAX_DEPTH` levels; the file at most `MAX_BYTES`; one document.
- encoding: UTF-8, with or without a byte order mark; anything else is refused with the byte offset.

libyaml (PyYAML's C parser) turns the text into events; the values are built here from the events, in one
pass with no recursion, so that depth, aliases and keys are checked before anything large exists.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner

from .errors import StackFileError, join_path

MAX_BYTES = 8 * 1024 * 1024
"""The largest stack file read: twice a generated stack of 5,000 workloads (4 MB)."""
MAX_DEPTH = 64
"""The deepest nesting of mappings and lists; this platform's stack files nest 7 levels."""
MAX_ALIAS_VALUES = 100_000
"""How many values all aliases together may add when expanded (a 1 KB file of nested aliases can otherwise
expand to billions); a stack that shares defaults between a thousand workloads adds about 20,000."""

UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
QUOTE_IT = "quote it to mean the text"
_NOT_CORE_TAG = "the tag {tag} is not part of the stack-file dialect (core tags only): remove it"
_LONGEST_KEY_SHOWN = 100

_CORE = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (f"{_CORE}{name}" for name in ("str", "int", "float", "bool", "null"))
SEQ, MAP = f"{_CORE}seq", f"{_CORE}map"
NON_SPECIFIC = "!"
MERGE_KEY = "<<"

# The words both readers give a meaning (YAML 1.2 core schema; yaml.v3's resolve table has the same).
_WORDS: dict[str, Any] = {
    **dict.fromkeys(("", "~", "null", "Null", "NULL")),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
}
_NUMBER_START = frozenset("0123456789+-.")
_CORE_INT = re.compile(r"[-+]?[0-9]+\Z|0o[0-7]+\Z|0x[0-9a-fA-F]+\Z")
_CORE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_CORE_SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z|\.(?:nan|NaN|NAN)\Z")
# yaml.v3 (resolve.go): Go's strconv.ParseInt(s, 0, 64) after removing every '_', then ParseUint, then a float.
_GO_INT = re.compile(
    r"(?P<sign>[-+]?)(?:0[bB](?P<bin>[01]+)|0[oO](?P<oct>[0-7]+)|0[xX](?P<hex>[0-9a-fA-F]+)|(?P<old_oct>0[0-7]*)"
    r"|(?P<dec>[1-9][0-9]*))\Z"
)
_GO_INT_BASES = (("dec", 10), ("hex", 16), ("oct", 8), ("bin", 2), ("old_oct", 8))
_GO_FLOAT = _CORE_FLOAT
_GO_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?\Z")
TIMESTAMP = "timestamp"
_INT64 = range(-(2**63), 2**63)
_LONGEST_NUMBER = 100
"""Longer integer literals are refused before conversion (64 bits are at most 66 characters, as binary)."""
_UINT64_MAX = 2**64 - 1


class Refused(Exception):
    """A form this dialect refuses; the reader adds the file, position and key path."""


def _core_number(text: str) -> int | float | None:
    if _CORE_INT.match(text):
        return int(text, 0) if text.startswith(("0o", "0x")) else int(text, 10)
    if _CORE_FLOAT.match(text):
        return float(text)
    if _CORE_SPECIAL_FLOAT.match(text):
        return float(text.replace(".", "", 1))
    return None


def _go_number(text: str) -> int | float | str | None:
    """yaml.v3's reading of a plain scalar that starts with a digit, sign or dot: a number, TIMESTAMP, or None
    (text)."""
    if text[0] == ".":
        if _GO_FLOAT.match(text):
            value = float(text)
            return None if math.isinf(value) else value  # Go's ParseFloat fails on overflow: text
        return None
    if _GO_TIMESTAMP.match(text):
        return TIMESTAMP
    plain = text.replace("_", "")
    match = _GO_INT.match(plain)
    if match:
        base, digits = next((base, match[group]) for group, base in _GO_INT_BASES if match[group] is not None)
        value = int(digits, base) * (-1 if match["sign"] == "-" else 1)
        if value in _INT64 or (not match["sign"] and 0 <= value <= _UINT64_MAX):
            return value
    if _GO_FLOAT.match(plain):
        value = float(plain)
        return None if math.isinf(value) else value
    return None


def _refusal(text: str, core: int | float | None, go: int | float | str | None) -> str:
    if go == TIMESTAMP:
        return (
            f"{text} is a timestamp to the Pulumi CLI (yaml.v3), which passes it on reformatted "
            f"(2001-12-14 becomes '2001-12-14 00:00:00 +0000 UTC'): {QUOTE_IT}"
        )
    if isinstance(core, float) and not math.isfinite(core):
        return f"{text} is not a finite number (config travels as JSON, which has none): {QUOTE_IT}"
    if core is None:
        return (
            f"{text} is the number {go!r} to the Pulumi CLI (yaml.v3) but text in YAML 1.2: write {go!r}, or {QUOTE_IT}"
        )
    if go is None:
        return f"{text} is the number {core!r} in YAML 1.2 but text to the Pulumi CLI (yaml.v3): {QUOTE_IT}"
    if isinstance(core, int) and core not in _INT64:
        return f"{text} is beyond 64 bits, a float ({go!r}) to the Pulumi CLI (yaml.v3): {QUOTE_IT}"
    return (
        f"{text} is {go!r} to the Pulumi CLI (yaml.v3) but {core!r} in YAML 1.2: drop the leading zeros "
        f"(0o{text.lstrip('+-0')} for an octal number), or {QUOTE_IT}"
    )


def plain_scalar(text: str) -> Any:
    """The value of a plain (unquoted, untagged) scalar; raises Refused for a form the two readers read
    differently, or that JSON cannot carry."""
    if text in _WORDS:
        return _WORDS[text]
    if text[0] not in _NUMBER_START:
        return text
    if len(text) > _LONGEST_NUMBER and (_CORE_INT.match(text) or _GO_INT.match(text.replace("_", ""))):
        # Beyond 64 bits (a float to yaml.v3), and too long for Python's int() to convert.
        raise Refused(f"{text[:20]}... is an integer of {len(text)} characters, beyond 64 bits: {QUOTE_IT}")
    core, go = _core_number(text), _go_number(text)
    if core is None and go is None:
        return text
    if type(core) is type(go) and core == go and not (isinstance(core, float) and not math.isfinite(core)):
        return core
    raise Refused(_refusal(text, core, go))


# An explicit core tag on a scalar: the value must read as that type, the same way for both readers.
_TAG_ACCEPTS: dict[str, Callable[[Any], bool]] = {
    INT: lambda value: type(value) is int,
    FLOAT: lambda value: type(value) in (int, float),
    BOOL: lambda value: type(value) is bool,
    NULL: lambda value: value is None,
}


def _tagged_scalar(tag: str, text: str) -> Any:
    if tag in (STR, NON_SPECIFIC):
        return text  # `!` is the non-specific tag: text, for yaml.v3 and the YAML spec
    accepts = _TAG_ACCEPTS.get(tag)
    if accepts is None:
        raise Refused(_NOT_CORE_TAG.format(tag=_short_tag(tag)))
    value = plain_scalar(text)
    if not accepts(value):
        raise Refused(
            f"{text!r} is not a {_short_tag(tag)} value both readers agree on: remove the tag, or fix the value"
        )
    return float(value) if tag == FLOAT else value


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


class _Merging:
    """The key of a mapping while the value of its `<<` comes."""


MERGING = _Merging()


class _Collection:
    """A mapping or list being built: its value, its size with every alias expanded, and where it stands."""

    __slots__ = ("anchor", "key", "key_lines", "merges", "part", "size", "value")

    def __init__(self, value: dict[str, Any] | list[Any], anchor: str | None, part: object) -> None:
        self.value = value
        self.anchor = anchor
        self.part = part
        self.size = 1
        self.key: str | _Merging | None = None
        """A mapping's key whose value comes next (None: a key comes next)."""
        self.key_lines: dict[str, int] = {}
        self.merges: list[dict[str, Any]] = []

    @property
    def awaits_key(self) -> bool:
        return isinstance(self.value, dict) and self.key is None


class _PythonParser(Reader, Scanner, Parser):
    """PyYAML's own event parser, for an installation without libyaml (the same events, slower)."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)


def _event_parser() -> Callable[[str], Any]:
    """libyaml's parser when PyYAML has it (its wheels ship it), else PyYAML's own."""
    try:
        from yaml.cyaml import CParser
    except ImportError:
        return _PythonParser
    return CParser


EventParser = _event_parser()


class _Builder:
    """Values from events, checked as they come (see the module docstring)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.stack: list[_Collection] = []
        self.anchors: dict[str, tuple[Any, int] | None] = {}
        """Each anchor's value and size; None while its collection is still open."""
        self.anchor_lines: dict[str, int] = {}
        self.alias_values = 0
        self.documents = 0
        self.root: Any = None

    def build(self, parser: Any) -> Any:
        handlers: dict[type[Event], Callable[[Any], None]] = {
            ScalarEvent: self.scalar,
            MappingStartEvent: self.start,
            SequenceStartEvent: self.start,
            MappingEndEvent: self.end,
            SequenceEndEvent: self.end,
            AliasEvent: self.alias,
            DocumentStartEvent: self.document,
        }
        while True:
            event = parser.get_event()
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)
            elif type(event) is StreamEndEvent:
                return self.root

    # --- events ---------------------------------------------------------------------------------------------

    def document(self, event: DocumentStartEvent) -> None:
        self.documents += 1
        if self.documents > 1:
            self.fail(event, "a stack file is one YAML document, this is a second one (remove the `---`)")

    def scalar(self, event: ScalarEvent) -> None:
        text, tag = event.value, event.tag
        try:
            if tag is None and event.implicit[0]:
                if text == MERGE_KEY and self.stack and self.stack[-1].awaits_key:
                    self.merge_key(self.stack[-1], event)
                    return
                value = plain_scalar(text)
            elif tag is None:
                value = text  # quoted or a block scalar
            else:
                value = _tagged_scalar(tag, text)
        except Refused as refused:
            self.fail(event, str(refused))
        if event.anchor is not None:
            self.define(event, (value, 1))
        self.add(value, 1, event)

    def start(self, event: MappingStartEvent | SequenceStartEvent) -> None:
        is_map = type(event) is MappingStartEvent
        if event.tag not in (None, NON_SPECIFIC, MAP if is_map else SEQ):
            self.fail(event, _NOT_CORE_TAG.format(tag=_short_tag(event.tag)))
        top = self.stack[-1] if self.stack else None
        if top is not None and top.awaits_key:
            self.fail(event, "a key is text, not a mapping or a list")
        if len(self.stack) >= MAX_DEPTH:
            self.fail(event, f"nested deeper than {MAX_DEPTH} levels (a stack file nests about 7)")
        if event.anchor is not None:
            self.define(event, None)
        part = None if top is None else len(top.value) if isinstance(top.value, list) else top.key
        self.stack.append(_Collection({} if is_map else [], event.anchor, part))

    def end(self, event: MappingEndEvent | SequenceEndEvent) -> None:
        done = self.stack.pop()
        if isinstance(done.value, dict):
            for source in done.merges:  # the mapping's own keys win, then the mappings merged first
                for key, value in source.items():
                    done.value.setdefault(key, value)
        if done.anchor is not None:
            self.anchors[done.anchor] = (done.value, done.size)
        self.add(done.value, done.size, event)

    def define(
        self, event: ScalarEvent | MappingStartEvent | SequenceStartEvent, value: tuple[Any, int] | None
    ) -> None:
        """Name a value with its anchor; a name is given once (yaml.v3 would let a second one win, ruamel warns)."""
        if event.anchor in self.anchor_lines:
            first = self.anchor_lines[event.anchor] + 1
            self.fail(
                event, f"the anchor &{event.anchor} is defined twice (first at line {first}): give each its own name"
            )
        self.anchor_lines[event.anchor] = event.start_mark.line
        self.anchors[event.anchor] = value

    def alias(self, event: AliasEvent) -> None:
        if event.anchor not in self.anchors:
            self.fail(event, f"the alias *{event.anchor} names no anchor before it")
        target = self.anchors[event.anchor]
        if target is None:
            self.fail(event, f"the alias *{event.anchor} is inside its own anchor (a value that contains itself)")
        value, size = target
        self.alias_values += size
        if self.alias_values > MAX_ALIAS_VALUES:
            self.fail(
                event,
                f"aliases expand to more than {MAX_ALIAS_VALUES:,} values (nested aliases that multiply): "
                "write the values out, or share fewer",
            )
        self.add(value, size, event)

    # --- placing a value --------------------------------------------------------------------------------------

    def add(self, value: Any, size: int, event: Event) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        top.size += size
        if isinstance(top.value, list):
            top.value.append(value)
        elif top.key is None:
            self.key(top, value, event)
        elif isinstance(top.key, _Merging):
            sources = value if isinstance(value, list) else [value]
            if not sources or not all(isinstance(source, dict) for source in sources):
                self.fail(event, "`<<` merges a mapping or a list of mappings")
            top.merges.extend(sources)
            top.key = None
        else:
            top.value[top.key] = value
            top.key = None

    def key(self, top: _Collection, key: Any, event: Event) -> None:
        if not isinstance(key, str):
            shown = "null" if key is None else str(key).lower() if isinstance(key, bool) else repr(key)
            self.fail(event, f"a key is text, got {shown}: quote it")
        self.check_once(top, key, event)
        top.key = key

    def merge_key(self, top: _Collection, event: Event) -> None:
        self.check_once(top, MERGE_KEY, event)
        top.key = MERGING

    def check_once(self, top: _Collection, key: str, event: Event) -> None:
        if key in top.key_lines:
            first = top.key_lines[key] + 1
            self.fail(event, f"the key {key!r} is given twice in one mapping (first at line {first}): give it once")
        top.key_lines[key] = event.start_mark.line

    def fail(self, event: Event, message: str) -> NoReturn:
        """Raise StackFileError at the event, naming the key path as settings name it."""
        parts: list[object] = [collection.part for collection in self.stack[1:]]
        if self.stack:
            top = self.stack[-1]
            parts.append(len(top.value) if isinstance(top.value, list) else top.key)
        named = [part for part in parts if isinstance(part, (str, int))]
        if named[:1] == ["config"]:
            named = named[1:]  # `nhi-platform:workloads[2].port`, as settings name keys
        mark = event.start_mark
        key = join_path(named) if named else None
        if key is not None and len(key) > _LONGEST_KEY_SHOWN:
            key = f"{key[:_LONGEST_KEY_SHOWN]}..."
        raise StackFileError(self.source, message, line=mark.line + 1, column=mark.column + 1, key=key)


def parse_stack_text(text: str, source: str) -> Any:
    """The document of a stack file's text, in the dialect; raises StackFileError naming `source`."""
    parser = None
    try:
        parser = EventParser(text)
        return _Builder(source).build(parser)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(str(p) for p in (error.context, error.problem) if p)
        raise StackFileError(
            source,
            f"not valid YAML: {problem}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as error:  # the reader's: a character YAML does not allow
        raise StackFileError(source, f"not valid YAML: {' '.join(str(error).split())}") from None
    finally:
        dispose = getattr(parser, "dispose", None)  # libyaml's parser frees its buffers
        if dispose is not None:
            dispose()


def decode_stack_bytes(data: bytes, source: str) -> str:
    """The text of a stack file: UTF-8, its byte order mark removed, line endings as they are."""
    for bom, name in _OTHER_BOMS.items():
        if data.startswith(bom):
            raise StackFileError(source, f"is {name} (it starts with a {name} byte order mark): save it as UTF-8")
    start = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise StackFileError(
            source,
            f"has a NUL byte at offset {nul} (line {line}): UTF-16 or UTF-32 with no byte order mark? save it as UTF-8",
        )
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = start + error.start
        line = data.count(b"\n", 0, offset) + 1
        raise StackFileError(
            source,
            f"is not UTF-8: byte 0x{data[offset]:02x} at offset {offset} (line {line}) cannot start or continue a "
            "UTF-8 character (Latin-1 or Windows-1252?): save it as UTF-8",
        ) from None


def read_stack_bytes(path: Path, source: str | None = None) -> bytes:
    """The bytes of a stack file, refused (StackFileError, naming `source`, by default the path) when it is not a
    regular file, cannot be read, or is larger than MAX_BYTES."""
    source = source or str(path)
    try:
        # O_NONBLOCK: a named pipe opens at once (and is then refused) instead of waiting for a writer.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise StackFileError(source, "does not exist") from None
    except IsADirectoryError:
        raise StackFileError(source, "is a directory, not a stack file") from None
    except OSError as error:
        raise StackFileError(source, f"cannot be read: {error.strerror}") from None
    try:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise StackFileError(source, "is a directory, not a stack file")
        if not stat.S_ISREG(status.st_mode):
            raise StackFileError(source, "is not a regular file")
        if status.st_size > MAX_BYTES:
            raise StackFileError(source, f"is {status.st_size:,} bytes, more than a stack file may be ({MAX_BYTES:,})")
        data = _read_at_most(descriptor, MAX_BYTES + 1)
    except OSError as error:
        raise StackFileError(source, f"cannot be read: {error.strerror}") from None
    finally:
        os.close(descriptor)
    if len(data) > MAX_BYTES:
        raise StackFileError(source, f"is more than {MAX_BYTES:,} bytes, more than a stack file may be")
    return data


def _read_at_most(descriptor: int, size: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = os.read(descriptor, min(size, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def load_stack_file(path: Path) -> Any:
    """The document of the stack file at `path`, read in the dialect; raises StackFileError naming the file."""
    return parse_stack_text(decode_stack_bytes(read_stack_bytes(path), str(path)), str(path))
