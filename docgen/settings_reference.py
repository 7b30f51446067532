"""The settings reference, written from the pydantic models of `settings.model` (the one place a key is documented).

Generic over the models: each key's alias, type, default and constraints come from the field's annotation and
metadata (bounds, lengths, the validators' docstrings), its text from the field's description. A sentence of the
description that starts with `Default:` fills the default column: that is how a model states a default that
depends on the environment.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import re
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from .outputs import GENERATED_NOTE, markdown_cell, table

PATH = "docs/reference/settings.md"
DEFAULT_SENTENCE = re.compile(r"^Default:\s*(?P<text>.*?)\.?$", re.S)
_SENTENCES = re.compile(r"(?<=\.)\s+(?=[A-Z0-9`])")


def model_doc(model: type) -> str:
    doc = model.__dict__.get("__doc__")
    return inspect.cleandoc(doc) if doc else ""


def first_paragraph(text: str | None) -> str:
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split()) if text else ""


def _without_none(annotation: Any) -> Any:
    """`X | None` -> X (an optional key's default says what leaving it out means)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The bare type of an annotation and the metadata that `Annotated` (or a nested `Field`) attached to it."""
    metadata: list[Any] = []
    annotation = _without_none(annotation)
    while typing.get_origin(annotation) is typing.Annotated:
        for item in annotation.__metadata__:
            metadata += item.metadata if isinstance(item, FieldInfo) else [item]
        annotation = _without_none(typing.get_args(annotation)[0])
    return annotation, metadata


def anchor(model: type) -> str:
    """GitHub's anchor of the model's heading (its class name)."""
    return model.__name__.lower()


def type_text(annotation: Any) -> str:
    bare, _ = _unwrap(annotation)
    origin = typing.get_origin(bare)
    if origin is list:
        return "list of " + type_text(typing.get_args(bare)[0])
    if origin is dict:
        key, value = typing.get_args(bare)
        return f"map of {type_text(key)} to {type_text(value)}"
    if isinstance(bare, type) and issubclass(bare, BaseModel):
        return f"[object](#{anchor(bare)})"
    if isinstance(bare, type) and issubclass(bare, enum.Enum):
        values = [f"`{member.value}`" for member in bare]
        return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]
    return {str: "string", int: "integer", bool: "boolean", float: "number"}.get(
        bare, getattr(bare, "__name__", str(bare))
    )


def _range(low: Any, high: Any, unit: str = "") -> list[str]:
    def counted(number: Any) -> str:
        return f"{number} {unit}{'' if number == 1 else 's'}" if unit else str(number)

    if low is not None and low == high:
        return [f"exactly {counted(low)}"]
    if low is not None and high is not None:
        return [f"{low} to {counted(high)}"]
    if low is not None:
        return [f"at least {counted(low)}"]
    return [f"at most {counted(high)}"] if high is not None else []


def _bounds(metadata: list[Any], length_unit: str) -> list[str]:
    """Numeric bounds and lengths (of a list in items, of a string in characters)."""
    low = high = shortest = longest = None
    found = []
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Le):
            high = item.le
        elif isinstance(item, annotated_types.Gt):
            found.append(f"more than {item.gt}")
        elif isinstance(item, annotated_types.Lt):
            found.append(f"less than {item.lt}")
        elif isinstance(item, annotated_types.MinLen):
            shortest = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            longest = item.max_length
    return _range(low, high) + found + _range(shortest, longest, length_unit)


def _validators(metadata: list[Any]) -> list[str]:
    """What each validator accepts: its docstring's first paragraph, else its name in words."""
    found = []
    for item in metadata:
        func = getattr(item, "func", None)
        if callable(func):
            found.append(first_paragraph(func.__doc__) or func.__name__.strip("_").replace("_", " "))
    return found


def constraints(annotation: Any, field_metadata: list[Any]) -> list[str]:
    bare, metadata = _unwrap(annotation)
    metadata = [*field_metadata, *metadata]
    is_list = typing.get_origin(bare) is list
    found = _bounds(metadata, "item" if is_list else "character") + _validators(metadata)
    if is_list:
        found += [f"each: {text}" for text in constraints(typing.get_args(bare)[0], [])]
    return found


def split_default(description: str) -> tuple[str, str | None]:
    """(description without its `Default: ...` sentence, that sentence's text)."""
    kept, default = [], None
    for sentence in _SENTENCES.split(" ".join(description.split())):
        match = DEFAULT_SENTENCE.match(sentence)
        if match and default is None:
            default = match.group("text")
        else:
            kept.append(sentence)
    return " ".join(kept), default


def default_text(field: FieldInfo, stated: str | None) -> str:
    if stated is not None:
        return stated
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return f"the defaults of [{type(value).__name__}](#{anchor(type(value))})"
    if isinstance(value, enum.Enum):
        value = value.value
    return f"`{json.dumps(value)}`"


def models_in(annotation: Any) -> Iterator[tuple[type[BaseModel], bool]]:
    """The models an annotation refers to, each with whether it sits in a list."""
    bare, _ = _unwrap(annotation)
    if typing.get_origin(bare) is list:
        for model, _in_list in models_in(typing.get_args(bare)[0]):
            yield model, True
    elif isinstance(bare, type) and issubclass(bare, BaseModel):
        yield bare, False


def walk(root: type[BaseModel]) -> list[tuple[type[BaseModel], str]]:
    """Every model reachable from `root`, depth first in field order, with the key path where it sits."""
    found: list[tuple[type[BaseModel], str]] = []
    seen: set[type[BaseModel]] = set()

    def visit(model: type[BaseModel], path: str) -> None:
        if model in seen:
            return
        seen.add(model)
        found.append((model, path))
        for name, field in model.model_fields.items():
            key = field.alias or name
            for child, in_list in models_in(field.annotation):
                visit(child, (f"{path}.{key}" if path else key) + ("[]" if in_list else ""))

    visit(root, "")
    return found


def _where(path: str) -> str:
    return f"Under `{path}`." if path else "The keys of a stack file's `config:` section."


def _unknown_keys(model: type[BaseModel]) -> str:
    return "Any other key is refused." if model.model_config.get("extra") == "forbid" else ""


def section(model: type[BaseModel], path: str) -> list[str]:
    lines = [f"## {model.__name__}", "", " ".join(filter(None, [_where(path), _unknown_keys(model)])), ""]
    doc = model_doc(model)
    if doc:
        lines += [doc, ""]
    rows = []
    for name, field in model.model_fields.items():
        description, stated_default = split_default(field.description or "")
        rows.append(
            [
                f"`{field.alias or name}`",
                type_text(field.annotation),
                markdown_cell(default_text(field, stated_default)),
                markdown_cell("; ".join(constraints(field.annotation, list(field.metadata)))),
                markdown_cell(description),
            ]
        )
    return lines + table(("key", "type", "default", "constraints", "description"), rows) + [""]


def defaults_table(title: str, defaults: Mapping[str, Any], key_name: str) -> list[str]:
    """A table of dataclass defaults keyed by one value (add-on versions by Kubernetes version)."""
    if not defaults:
        return []
    columns = [field.name for field in dataclasses.fields(next(iter(defaults.values())))]
    rows = [[f"`{key}`", *(f"`{getattr(value, column)}`" for column in columns)] for key, value in defaults.items()]
    return [f"## {title}", "", *table((key_name, *(f"`{to_camel(c)}`" for c in columns)), rows), ""]


def render(root: type[BaseModel], source: str, appendix: list[str] | None = None) -> str:
    models = walk(root)
    lines = [
        "# Settings reference",
        "",
        GENERATED_NOTE.format(source=source),
        "",
        "Every key a stack file (`stacks/Pulumi.<stack>.yaml`) may set, model by model. `settings/` checks them "
        "all before any resource is registered and reports every problem at once with its key path. What the "
        "settings mean together, with examples: [the settings guide](../settings.md).",
        "",
        *(f"- [{model.__name__}](#{anchor(model)}): {f'`{path}`' if path else 'top level'}" for model, path in models),
        "",
    ]
    for model, path in models:
        lines += section(model, path)
    lines += appendix or []
    return "\n".join(lines).rstrip("\n") + "\n"
