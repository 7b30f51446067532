"""The suite's own layout: a test module never imports another test module (shared fixtures live in conftest.py)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_test_module(name: str) -> bool:
    return name.rsplit(".", 1)[-1].startswith("test_")


def _imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_test_module_imports_another() -> None:
    offenders = {
        str(path.relative_to(TESTS)): sorted(name for name in _imports_of(path) if _is_test_module(name))
        for path in sorted(TESTS.rglob("*.py"))
        if "fixtures" not in path.parts
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_check_sees_an_import_of_a_test_module(tmp_path: Path) -> None:
    module = tmp_path / "test_a.py"
    module.write_text("from tests.components.test_cluster import something\nimport tests.nhi.test_b as b\n")
    assert sorted(name for name in _imports_of(module) if _is_test_module(name)) == [
        "tests.components.test_cluster",
        "tests.nhi.test_b",
    ]
