"""The capture: what the mock engine records, and that every run is fresh and deterministic."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nhi.preflight import wire
from nhi.preflight.capture import capture_program
from nhi.preflight.program import ENCRYPTED_STAND_IN, load_program, stack_config
from nhi.preflight.report import Verdict, to_json

TESTS = Path(__file__).resolve().parents[2]
OPEN_WORLD = TESTS / "programs" / "open_world"
SECRETS = TESTS / "programs" / "secrets_and_refs"


def _capture(directory: Path, unknowns: bool = False):
    program = load_program(directory)
    return capture_program(program, stack_config(program, "test"), unknowns=unknowns)


def test_two_runs_of_the_same_program_capture_the_same_resources() -> None:
    first, second = _capture(OPEN_WORLD), _capture(OPEN_WORLD)
    assert [(r.urn, r.inputs, r.outputs, r.provider) for r in first.resources] == [
        (r.urn, r.inputs, r.outputs, r.provider) for r in second.resources
    ]


def test_realistic_outputs_flow_into_dependent_inputs() -> None:
    capture = _capture(OPEN_WORLD)
    by_name = {r.name: r for r in capture.resources}
    vpc = by_name["main"]
    assert vpc.outputs["id"].startswith("vpc-")
    assert by_name["bastion"].inputs["vpcId"] == vpc.outputs["id"]
    assert by_name["deployer"].outputs["arn"] == f"arn:aws:iam::123456789012:role/{by_name['deployer'].outputs['name']}"


def test_unknowns_leave_computed_outputs_unknown() -> None:
    capture = _capture(OPEN_WORLD, unknowns=True)
    by_name = {r.name: r for r in capture.resources}
    assert by_name["bastion"].inputs["vpcId"] == wire.UNKNOWN
    assert "arn" not in by_name["deployer"].outputs
    assert by_name["bastion"].inputs["ingress"][0]["cidrBlocks"] == ["0.0.0.0/0"]  # known inputs stay known


def test_default_providers_are_added_as_the_engine_does() -> None:
    capture = _capture(OPEN_WORLD)
    providers = capture.of_type("pulumi:providers:aws")
    assert [p.name for p in providers] == ["default_7_51_1"]
    assert providers[0].inputs == {"region": "us-west-2", "version": "7.51.1"}
    custom = [r for r in capture.resources if r.custom and not r.type.startswith("pulumi:")]
    assert {r.provider_urn for r in custom} == {providers[0].urn}


def test_secrets_reach_packs_signed_and_json_redacted() -> None:
    capture = _capture(SECRETS)
    secret = next(r for r in capture.resources if r.name == "token")
    # The SDK marks the whole property secret when any part of it is.
    assert secret.inputs["stringData"] == {wire.SIG_KEY: wire.SECRETS_SIG, "value": {"token": ENCRYPTED_STAND_IN}}
    document = to_json(Verdict(capture, [], 0.0, 0.0, 0.0))
    rendered = json.dumps(document)
    assert ENCRYPTED_STAND_IN not in rendered
    assert next(r for r in document["resources"] if r["name"] == "token")["inputs"]["stringData"] == "[secret]"


def test_project_config_defaults_and_dependencies_are_applied() -> None:
    capture = _capture(SECRETS)
    by_name = {r.name: r for r in capture.resources}
    assert by_name["greeting"].inputs["data"] == {"greeting": "hello"}
    assert by_name["apps"].urn in by_name["token"].dependencies
    # the namespace name came from another resource's output: a property dependency on it
    assert by_name["greeting"].property_dependencies["metadata"] == (by_name["apps"].urn,)


def test_the_programs_own_modules_are_dropped_after_each_run() -> None:
    _capture(SECRETS)
    assert "helpers_local" not in sys.modules
    assert str(SECRETS) not in sys.path


def test_installed_packages_survive_a_run_of_a_program_that_holds_its_venv(tmp_path: Path) -> None:
    """Our own repository holds .venv: running it must not drop pulumi_aws's modules for the next program."""
    from tests.conftest import capture_stack

    capture_stack("dev")
    assert any(name.startswith("pulumi_aws.") for name in sys.modules)
    assert [r.name for r in _capture(OPEN_WORLD).resources if r.type == "aws:ec2/securityGroup:SecurityGroup"] == [
        "bastion"
    ]


def test_a_process_that_exits_after_its_run_captures_the_same_resources() -> None:
    """The `nhi` command skips the final garbage collection of a run (it exits right after): same capture."""
    import subprocess

    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from nhi.preflight import capture\n"
        "from nhi.preflight.program import load_program, stack_config\n"
        "program = load_program(Path(sys.argv[1]))\n"
        "capture.process_exits_after_run()\n"
        "run = capture.capture_program(program, stack_config(program, 'test'))\n"
        "print(json.dumps([[r.urn, r.inputs, r.outputs] for r in run.resources]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(OPEN_WORLD)], capture_output=True, text=True, cwd=TESTS.parent, check=False
    )
    assert done.returncode == 0, done.stderr
    recorded = json.loads(done.stdout.splitlines()[-1])
    assert recorded == [[r.urn, r.inputs, r.outputs] for r in _capture(OPEN_WORLD).resources]
