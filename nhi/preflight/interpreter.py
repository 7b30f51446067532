"""Which Python runs a program: its own virtual environment, found as the Python language host finds it from
Pulumi.yaml's `runtime.options` (pulumi/pulumi sdk/python/cmd/pulumi-language-python/main.go, parseOptions;
sdk/python/toolchain/toolchain.go, ResolveToolchain; pip.go, uv.go, poetry.go).

- `toolchain: pip` (or none, with no uv.lock or poetry.lock above the program): `virtualenv`, relative to the
  project's directory; without it the language host runs the `python3` it finds, and the preflight runs the
  program in its own interpreter.
- `toolchain: uv` (or a uv.lock above the program): `virtualenv`, else `UV_PROJECT_ENVIRONMENT`, else `.venv`
  beside the nearest uv.lock or pyproject.toml (else in the project's directory).
- `toolchain: poetry` (or a poetry.lock above the program): the environment `poetry env info --path` names.

A virtualenv that is named but missing is refused as the language host refuses it; the language host may create
one (`pulumi install`), the preflight never installs anything."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import PreflightError
from .program import Program

TOOLCHAINS = ("pip", "uv", "poetry")
UV_DEFAULT_VIRTUALENV = ".venv"  # uv.go, defaultVirtualEnv


def program_python(program: Program) -> Path | None:
    """The interpreter of the program's own virtualenv, or None when it names none (the ambient Python)."""
    options = program.runtime_options
    virtualenv = options.get("virtualenv", "")
    if not isinstance(virtualenv, str):
        raise PreflightError(f"{program.directory / 'Pulumi.yaml'}: runtime.options.virtualenv must be a string.")
    toolchain = options.get("toolchain") or _detected_toolchain(program.directory)
    if toolchain not in TOOLCHAINS:
        raise PreflightError(
            f"{program.directory / 'Pulumi.yaml'}: unsupported toolchain option {toolchain!r} "
            f"(the language host takes {', '.join(TOOLCHAINS)})."
        )
    if toolchain == "poetry":
        return _python_of(_poetry_environment(program), virtualenv or "(poetry's environment)")
    if toolchain == "uv":
        directory = Path(virtualenv) if virtualenv else _uv_environment(program.directory)
        return _python_of(program.directory / directory, virtualenv or str(directory))
    if not virtualenv:
        return None
    return _python_of(program.directory / virtualenv, virtualenv)


def is_this_interpreter(python: Path) -> bool:
    """Whether `python` belongs to the environment the preflight itself runs in."""
    return python.parent.parent.resolve() == Path(sys.prefix).resolve()


def _search_up(start: Path, name: str) -> Path | None:
    for directory in (start, *start.parents):
        if (directory / name).is_file():
            return directory
    return None


def _detected_toolchain(directory: Path) -> str:
    if _search_up(directory, "uv.lock") is not None:
        return "uv"
    if _search_up(directory, "poetry.lock") is not None:
        return "poetry"
    return "pip"


def _uv_environment(root: Path) -> Path:
    project = _search_up(root, "uv.lock") or _search_up(root, "pyproject.toml") or root
    configured = os.environ.get("UV_PROJECT_ENVIRONMENT")
    return project / configured if configured else project / UV_DEFAULT_VIRTUALENV


def _poetry_environment(program: Program) -> Path:
    poetry = shutil.which("poetry")
    if poetry is None:
        raise PreflightError(
            f"{program.directory / 'Pulumi.yaml'}: the program uses the poetry toolchain, and `poetry` is not on "
            "PATH to name its environment; install poetry, or set runtime.options.toolchain: pip with a virtualenv."
        )
    found = subprocess.run(
        [poetry, "env", "info", "--path"], cwd=program.directory, capture_output=True, text=True, check=False
    )
    if found.returncode != 0 or not found.stdout.strip():
        raise PreflightError(
            f"{program.directory}: `poetry env info --path` names no environment (run `poetry install` first)."
            f"{' ' + found.stderr.strip() if found.stderr.strip() else ''}"
        )
    return Path(found.stdout.strip())


def _python_of(environment: Path, named: str) -> Path:
    """The environment's interpreter; a missing one is refused as the language host refuses it (pip.go,
    NewVirtualEnvError)."""
    python = environment / ("Scripts" if os.name == "nt" else "bin") / "python"
    if (environment / "pyvenv.cfg").is_file() and python.exists():
        return python
    state = "doesn't exist" if not environment.exists() else "doesn't appear to be a virtual environment"
    raise PreflightError(
        f"The 'virtualenv' option in Pulumi.yaml is set to {named!r}, but {str(environment)!r} {state}; create it "
        f"and install the program's dependencies into it (python3 -m venv {environment}, then "
        f"{python} -m pip install -r requirements.txt), as `pulumi preview` would require."
    )
