"""Analyze calls go through the relay process: the same requests as before, answers in order, and a clear
error when the pack or the relay dies."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from google.protobuf import json_format

from nhi.cli import main
from nhi.preflight import relay, wire
from nhi.preflight.analyzer import StartedPack, _Analysis
from nhi.preflight.capture import capture_program
from nhi.preflight.errors import PreflightError
from nhi.preflight.program import load_program, stack_config

TESTS = Path(__file__).resolve().parents[2]
REPO = TESTS.parent
OPEN_WORLD = TESTS / "programs" / "open_world"
SECRETS = TESTS / "programs" / "secrets_and_refs"
SIMPLE_PACK = TESTS / "packs" / "simple"


def _capture(directory: Path, stack: str = "test"):
    program = load_program(directory)
    return program, stack_config(program, stack), capture_program(program, stack_config(program, stack))


@pytest.mark.parametrize("directory", [OPEN_WORLD, SECRETS, REPO], ids=["open_world", "secrets_and_refs", "dev"])
def test_requests_built_from_the_registration_bytes_equal_those_built_from_the_values(directory: Path) -> None:
    stack = "dev" if directory == REPO else "test"
    _, _, capture = _capture(directory, stack)
    fast, slow = _Analysis(None, capture, REPO / "policy"), _Analysis(None, capture, REPO / "policy")
    plain = [replace(r, wire_inputs=None, wire_outputs=None) for r in capture.resources]
    assert any(r.wire_inputs is not None for r in capture.resources)
    for resource, without_bytes in zip(capture.resources, plain, strict=True):
        assert fast.analyze_request(resource) == slow.analyze_request(without_bytes), resource.urn
    assert fast.stack_request() == slow.stack_request(replace(capture, resources=plain))


def test_registrations_holding_resource_references_take_the_lowering_path() -> None:
    _, _, capture = _capture(SECRETS)
    referencing = [
        r
        for r in capture.resources
        if r.wire_inputs is None and r.type != "pulumi:pulumi:Stack" and not r.type.startswith("pulumi:providers:")
    ]
    assert referencing, "secrets_and_refs passes a resource as an input"
    for resource in referencing:
        request = _Analysis(None, capture, REPO / "policy").analyze_request(resource)
        sent = json_format.MessageToDict(request.properties)
        assert sent == resource.inputs  # lowered: IDs or URNs where references were
        assert wire.RESOURCE_SIG not in str(sent)


def test_frames_round_trip_and_a_short_stream_ends() -> None:
    stream = io.BytesIO()
    relay.write_frame(stream, b"A" + b"\x00\x01payload")
    relay.write_frame(stream, relay.END)
    stream.write(b"\x00\x00\x00\x09shor")  # a frame cut short: the writer died
    stream.seek(0)
    assert relay.read_frame(stream) == b"A\x00\x01payload"
    assert relay.read_frame(stream) == relay.END
    assert relay.read_frame(stream) is None
    assert relay.read_frame(stream) is None


def test_a_pack_that_dies_while_analyzing_exits_2_naming_a_resource(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "preflight",
            "--program",
            str(OPEN_WORLD),
            "--stack",
            "test",
            "--policy-pack",
            str(TESTS / "packs" / "dies_analyzing"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    # Calls in flight when it died fail with it: the first of them in registration order is named.
    assert "exited with status 3 during Analyze of urn:pulumi:test::open-world::" in err
    assert "fatal: the rule engine lost its state" in err  # the pack's own error output


def test_a_relative_pack_path_means_the_same_pack_while_the_program_runs_elsewhere(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    code = main(
        [
            "preflight",
            "--program",
            str(OPEN_WORLD),
            "--stack",
            "test",
            "--policy-pack",
            str(SIMPLE_PACK.relative_to(REPO)),
        ]
    )
    _, err = capsys.readouterr()
    assert code == 1, err  # the simple pack's violations, not "is not a policy pack"


def test_a_relay_that_dies_is_reported_not_hung_on() -> None:
    program, config, capture = _capture(OPEN_WORLD)
    pack = StartedPack(SIMPLE_PACK, program.project, config, None)
    try:
        stream = pack.stream()
        stream.relay.kill()
        stream.relay.wait()
        for resource in capture.resources:
            stream.submit(resource)
        with pytest.raises(PreflightError, match=r"relay carrying Analyze calls to policy pack .* stopped before"):
            stream.finish(capture)
    finally:
        pack.stop()


def test_answers_come_back_in_the_order_resources_were_sent() -> None:
    program, config, capture = _capture(OPEN_WORLD)
    pack = StartedPack(SIMPLE_PACK, program.project, config, None)
    try:
        result = pack.analyze(capture)
    finally:
        pack.stop()
    # Each violation is attributed to the resource whose answer it came in (the simple pack names no URN).
    assert sorted((d.policy, d.urn.rsplit("::", 1)[1]) for d in result.diagnostics) == [
        ("no-ssh-from-world", "bastion"),
        ("no-star-action", "everything"),
    ]


def test_two_packs_each_get_every_resource_through_their_own_relay(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "preflight",
            "--program",
            str(OPEN_WORLD),
            "--stack",
            "test",
            "--format",
            "json",
            "--policy-pack",
            str(SIMPLE_PACK),
            "--policy-pack",
            str(REPO / "policy"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1, err
    import json

    report = json.loads(out)
    urns = {r["urn"] for r in report["resources"]}
    by_pack: dict[str, set[str]] = {}
    for diagnostic in report["diagnostics"]:
        assert diagnostic["urn"] in urns
        by_pack.setdefault(diagnostic["pack"], set()).add(diagnostic["policy"])
    assert by_pack["simple-test-pack"] == {"no-ssh-from-world", "no-star-action"}
    # Ours judges the same program independently: the wildcard policy and the SSH rule among its findings.
    assert {"iam-policy-disallow-wildcard-actions", "ec2-securitygroup-disallow-open-admin-ports"} <= by_pack[
        "nhi-platform"
    ], by_pack["nhi-platform"]
