"""Every settings field is documented where it is declared: its docstring is its description, in `model_fields` and
in the JSON schema that docs/reference/settings.md is made from."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

from pydantic import BaseModel

import settings


def models(root: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """The model and every model its fields hold, through lists, unions and Annotated, each once."""
    seen: set[type[BaseModel]] = set()
    pending: list[Any] = [root]
    while pending:
        kind = pending.pop()
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            if kind not in seen:
                seen.add(kind)
                yield kind
                pending += [field.annotation for field in kind.model_fields.values()]
        else:
            pending += get_args(kind)


def test_the_walk_reaches_the_nested_models() -> None:
    reached = set(models(settings.StackSettings))
    assert {
        settings.StackSettings,
        settings.ClusterSettings,
        settings.NodeGroupSettings,
        settings.WorkloadSettings,
        settings.Rollout,
        settings.IngressFlow,
        settings.CiSettings,
        settings.ComputeResources,
        settings.HealthChecks,
    } <= reached


def test_every_field_of_every_settings_model_has_a_description() -> None:
    undocumented = [
        f"{model.__name__}.{name}"
        for model in models(settings.StackSettings)
        for name, field in model.model_fields.items()
        if not (field.description or "").strip()
    ]
    assert undocumented == []


def test_the_json_schema_carries_every_description() -> None:
    schema = settings.StackSettings.model_json_schema(by_alias=True)
    objects = {"StackSettings": schema, **schema["$defs"]}
    undocumented = [
        f"{name}.{key}"
        for name, definition in objects.items()
        for key, prop in definition.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert undocumented == []
    disk = objects["NodeGroupSettings"]["properties"]["diskSizeGib"]
    assert disk["description"] == settings.NodeGroupSettings.model_fields["disk_size_gib"].description
    assert (disk["default"], disk["minimum"], disk["maximum"]) == (50, 20, 16384)


def test_a_default_that_depends_on_the_environment_says_so() -> None:
    cluster = settings.ClusterSettings.model_fields
    for name in ("availability_zones", "log_retention_days", "detective_controls"):
        description = cluster[name].description or ""
        assert "in prod" in description and "elsewhere" in description, name
    assert "in prod" in (settings.Rollout.model_fields["idle_replicas"].description or "")
