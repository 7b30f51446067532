"""The base of the value types that components take and stack files spell the same way (a container's resources,
its health checks): frozen, strict pydantic models that refuse unknown keys. Their camelCase aliases are the
stack file's keys, so settings use these types as they are instead of keeping a copy.

Each field's docstring is its description (`use_attribute_docstrings`), in the JSON schema of the settings too.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Value(BaseModel):
    """Frozen and strict (3 is not "3"); unknown keys are errors; camelCase keys or snake_case names."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
        use_attribute_docstrings=True,
    )
