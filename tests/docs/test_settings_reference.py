"""The settings reference is written from the models alone: a key documented on its field shows up with its type,
default and constraints, and every key of every model of the stack file has its row."""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

import settings
from docgen import REPO, settings_reference
from docgen.outputs import Page, Site


def _even(value: int) -> int:
    """an even number"""
    if value % 2:
        raise ValueError("expected an even number")
    return value


def _no_docstring(value: str) -> str:
    return value


class Colour(str, Enum):
    RED = "red"
    BLUE = "blue"


class Leaf(BaseModel):
    """A leaf of the example."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    size: Annotated[int, Field(ge=2, le=6)] = 4
    """How big it is."""


class Root(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    name: Annotated[str, AfterValidator(_no_docstring)]
    """The name. Unique in the stack."""
    colour: Colour = Colour.RED
    count: Annotated[int, AfterValidator(_even)] | None = None
    """How many. Default: 2 in prod, 0 elsewhere."""
    leaves: Annotated[list[Leaf], Field(min_length=1, max_length=1)]
    tags: dict[str, str] = {}
    labels: list[Annotated[str, Field(max_length=63)]] = []
    ratio: Annotated[float, Field(gt=0, lt=1)] = 0.5


def rows(text: str, model: str) -> dict[str, list[str]]:
    section = text.split(f"## {model}\n", 1)[1].split("\n## ", 1)[0]
    found = {}
    for line in section.splitlines():
        match = re.match(r"^\| `([^`]+)` \| (.*) \|$", line)
        if match:
            found[match.group(1)] = match.group(2).split(" | ")
    return found


def test_a_documented_field_shows_its_type_default_constraints_and_description() -> None:
    text = settings_reference.render(Root, "an example")
    root = rows(text, "Root")
    assert root["name"] == ["string", "required", "no docstring", "The name. Unique in the stack."]
    assert root["colour"] == ["`red` or `blue`", '`"red"`', "", ""]
    assert root["count"] == ["integer", "2 in prod, 0 elsewhere", "an even number", "How many."]
    assert root["leaves"] == ["list of [object](#leaf)", "required", "exactly 1 item", ""]
    assert root["tags"] == ["map of string to string", "`{}`", "", ""]
    assert root["labels"] == ["list of string", "`[]`", "each: at most 63 characters", ""]
    assert root["ratio"] == ["number", "`0.5`", "more than 0; less than 1", ""]
    assert rows(text, "Leaf")["size"] == ["integer", "`4`", "2 to 6", "How big it is."]
    assert "Under `leaves[]`. Any other key is refused.\n\nA leaf of the example." in text
    assert "- [Leaf](#leaf): `leaves[]`" in text


def test_every_key_of_every_model_has_its_row(site: Site) -> None:
    (page,) = [o for o in site.outputs if isinstance(o, Page) and o.path == settings_reference.PATH]
    models = settings_reference.walk(settings.StackSettings)
    assert {model for model, _ in models} >= {settings.ClusterSettings, settings.WorkloadSettings, settings.CiSettings}
    for model, _path in models:
        documented = rows(page.text, model.__name__)
        assert set(documented) == {field.alias or name for name, field in model.model_fields.items()}, model
        for name, field in model.model_fields.items():
            if field.description:
                expected, _ = settings_reference.split_default(field.description)
                assert documented[field.alias or name][3] == expected.replace("|", "\\|"), (model, name)
    assert page.text == (REPO / settings_reference.PATH).read_text()


def test_nested_models_are_found_at_their_key_paths() -> None:
    paths = dict(settings_reference.walk(settings.StackSettings))
    assert paths[settings.StackSettings] == ""
    assert paths[settings.ClusterSettings] == "nhi-platform:cluster"
    assert paths[settings.NodeGroupSettings] == "nhi-platform:cluster.nodeGroups[]"
    assert paths[settings.Rollout] == "nhi-platform:workloads[].rollout"
