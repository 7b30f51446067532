"""`--manifests DIR` writes inside DIR only: a namespace, kind or name that is no plain name is refused with
exit 2 naming the resource, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from nhi.cli import main

SIMPLE_PACK = Path(__file__).resolve().parents[2] / "packs" / "simple"


def k8s_program(tmp_path: Path, body: str) -> Path:
    program = tmp_path / "k8s"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: k8s\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config: {}\n")
    (program / "__main__.py").write_text("import pulumi_kubernetes as k8s\n" + body)
    return program


def write_manifests(capsys: pytest.CaptureFixture[str], program: Path, into: Path) -> tuple[int, str]:
    run = ["preflight", "--program", str(program), "--stack", "dev", "--policy-pack", str(SIMPLE_PACK)]
    code = main([*run, "--manifests", str(into)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("metadata", "what"),
    [
        ("{'name': '../../escaped'}", "the name '../../escaped'"),
        ("{'name': 'a/b'}", "the name 'a/b'"),
        ("{'name': '/tmp/absolute'}", "the name '/tmp/absolute'"),
        ("{'name': 'back\\\\slash'}", "the name 'back\\\\"),
        ("{'name': 'nul\\x00byte'}", "the name 'nul\\x00"),
        ("{'name': '..'}", "the name '..'"),
        ("{'name': '.hidden'}", "the name '.hidden'"),
        ("{'name': 'ok', 'namespace': '../..'}", "the namespace '../..'"),
        ("{'name': 'ok', 'namespace': '/etc'}", "the namespace '/etc'"),
    ],
)
def test_a_name_that_is_no_plain_name_is_refused_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, metadata: str, what: str
) -> None:
    program = k8s_program(
        tmp_path,
        "k8s.core.v1.ConfigMap('fine', metadata={'name': 'fine'})\n"
        f"k8s.core.v1.ConfigMap('hostile', metadata={metadata}, data={{'a': 'b'}})\n",
    )
    into = tmp_path / "out" / "manifests"
    code, err = write_manifests(capsys, program, into)
    assert code == 2
    assert "kubernetes:core/v1:ConfigMap::hostile has" in err and what in err
    assert "Traceback" not in err
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if "k8s" not in p.parts) == []


def test_a_symbolic_link_in_dir_does_not_lead_a_manifest_outside(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    program = k8s_program(tmp_path, "k8s.core.v1.ConfigMap('settings', metadata={'name': 'settings'})\n")
    into, elsewhere = tmp_path / "manifests", tmp_path / "elsewhere"
    into.mkdir()
    elsewhere.mkdir()
    (into / "_cluster--configmap--settings.yaml").symlink_to(elsewhere / "stolen.yaml")
    code, err = write_manifests(capsys, program, into)
    assert code == 2
    assert "leads outside" in err
    assert list(elsewhere.iterdir()) == []


def test_plain_names_are_written_as_before(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    program = k8s_program(
        tmp_path,
        "k8s.core.v1.ConfigMap('settings', metadata={'name': 'my.settings-1', 'namespace': 'apps'})\n",
    )
    into = tmp_path / "manifests"
    code, _ = write_manifests(capsys, program, into)
    assert code == 0
    assert [p.name for p in into.iterdir()] == ["apps--configmap--my.settings-1.yaml"]
