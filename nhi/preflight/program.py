"""A Pulumi Python project on disk: its Pulumi.yaml, entry point and stack files, and the config a stack
hands to the program (as the CLI would: project defaults, then the stack file)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import PreflightError

# An encrypted config value cannot be decrypted offline; the program sees this stand-in, marked secret.
ENCRYPTED_STAND_IN = "preflight-secret-stand-in"


@dataclass(frozen=True)
class Program:
    directory: Path
    project: str
    main: Path
    stack_config_dir: Path
    project_config: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    runtime_options: dict[str, Any] = field(default_factory=dict)
    """Pulumi.yaml's `runtime.options` (virtualenv, toolchain), as the language host reads them."""

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"


@dataclass(frozen=True)
class StackConfig:
    """Config as the engine passes it: every value a string (objects and lists as JSON)."""

    name: str
    values: dict[str, str]
    secret_keys: tuple[str, ...]
    source: Path | None

    def decoded(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.values.items():
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                parsed = value
            out[key] = parsed if isinstance(parsed, (dict, list)) else value
        return out


def load_program(directory: Path) -> Program:
    directory = directory.resolve()
    project_file = next((directory / n for n in ("Pulumi.yaml", "Pulumi.yml") if (directory / n).is_file()), None)
    if project_file is None:
        raise PreflightError(f"{directory} is not a Pulumi project: no Pulumi.yaml in it (pass --program DIR).")
    try:
        document = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise PreflightError(f"{project_file} is not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise PreflightError(f"{project_file}: expected a mapping with a string 'name'.")
    runtime = document.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise PreflightError(
            f"{project_file}: the preflight runs Python programs, this project's runtime is {runtime_name!r}."
        )
    main = directory / str(document.get("main") or ".")
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise PreflightError(f"{project_file}: no Python entry point at {main}.")
    config_dir = directory / str(document.get("stackConfigDir") or ".")
    project_config = document.get("config") or {}
    if not isinstance(project_config, dict):
        raise PreflightError(f"{project_file}: 'config' must be a mapping.")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    if options is not None and not isinstance(options, dict):
        raise PreflightError(f"{project_file}: 'runtime.options' must be a mapping.")
    description = document.get("description")
    return Program(
        directory,
        document["name"],
        main,
        config_dir,
        project_config,
        description if isinstance(description, str) else None,
        dict(options or {}),
    )


# The tag the engine reads stack tags from in config (pulumi/pulumi sdk/go/common/apitype/core.go, PulumiTagsConfigKey).
TAGS_CONFIG_KEY = "pulumi:tags"


def stack_tags(program: Program, config: StackConfig) -> dict[str, str]:
    """The stack's tags as the CLI computes them from the project and its config for ConfigureStack
    (pulumi/pulumi pkg/backend/stack.go, GetEnvironmentTagsForCurrentStack): `pulumi:project`,
    `pulumi:runtime`, `pulumi:description`, then each entry of the `pulumi:tags` config object. Tags kept
    only in a backend (`pulumi stack tag set`) and the git metadata the CLI adds are not known offline."""
    tags = {"pulumi:project": program.project, "pulumi:runtime": "python"}
    if program.description is not None:
        tags["pulumi:description"] = program.description
    raw = config.values.get(TAGS_CONFIG_KEY)
    if raw is None:
        return tags
    try:
        configured = json.loads(raw)
    except json.JSONDecodeError:
        configured = None
    if not isinstance(configured, dict):
        raise PreflightError(f"{config.source}: {TAGS_CONFIG_KEY} must be an object of strings.")
    for name, value in configured.items():
        if not isinstance(value, str):
            raise PreflightError(f"{config.source}: {TAGS_CONFIG_KEY}[{name}] must be a string.")
        tags[name] = value
    return tags


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def stack_config(program: Program, stack: str | None = None, stack_file: Path | None = None) -> StackConfig:
    """Merge the project's config defaults with the stack file, as `pulumi preview` does."""
    if stack_file is None:
        if stack is None:
            raise PreflightError("Name a stack: --stack NAME (reads Pulumi.NAME.yaml) or --stack-file PATH.")
        stack_file = program.stack_file(stack)
        if not stack_file.exists():
            available = sorted(
                p.name[len("Pulumi.") : -len(".yaml")] for p in program.stack_config_dir.glob("Pulumi.*.yaml")
            )
            raise PreflightError(
                f"No stack file for stack {stack!r}: {stack_file} does not exist "
                f"(stacks here: {', '.join(available) or 'none'})."
            )
    elif not stack_file.exists():  # anything else it is (a directory, unreadable) is said when it is read
        raise PreflightError(f"Stack file {stack_file} does not exist.")
    if stack is None:
        stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")
    # The stack-file dialect (settings.stack_yaml): read as the Pulumi CLI reads it, or refused naming file and line.
    # Imported here: it brings this platform's settings package, which a preflight that fails earlier has no use for.
    from settings.errors import StackFileError
    from settings.stack_yaml import load_stack_file

    try:
        document = load_stack_file(stack_file) or {}
    except StackFileError as error:
        raise PreflightError(str(error)) from None
    raw = document.get("config") if isinstance(document, dict) else None
    if raw is not None and not isinstance(raw, dict):
        raise PreflightError(f"{stack_file}: 'config' must be a mapping of keys to values.")

    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, declaration in program.project_config.items():
        full = _full_key(program.project, key)
        if isinstance(declaration, dict) and "default" in declaration:
            values[full] = _as_config_string(declaration["default"])
        elif isinstance(declaration, dict) and "value" in declaration:
            values[full] = _as_config_string(declaration["value"])
        elif not isinstance(declaration, dict):
            values[full] = _as_config_string(declaration)
    for key, value in (raw or {}).items():
        full = _full_key(program.project, str(key))
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full] = ENCRYPTED_STAND_IN
            secret_keys.append(full)
        else:
            values[full] = _as_config_string(value)
    return StackConfig(stack, values, tuple(secret_keys), stack_file)
