"""`nhi rollout` end to end through `nhi.cli.main`: the moves edit the file and say what `pulumi up` will do
(exit 0); every refusal is one paragraph on stderr, exit 2, and leaves the file byte for byte as it was."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import settings
from nhi.cli import main
from nhi.rollout.moves import (
    ALREADY_RELEASED,
    NOT_A_DIGEST,
    ONTO_LIVE,
    REGISTRY_NOT_ALLOWED,
    UNKNOWN_SLOT,
    UNKNOWN_WORKLOAD,
)
from nhi.rollout.stackfile import NOT_VALID_BEFORE
from tests.conftest import REPO, capture_stack_file

REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
NEW = f"{REGISTRY}/payments@sha256:{'e' * 64}"
# `changed_lines(before, after)` (a fixture): the (old line, new line) pairs that differ.
ChangedLines = Callable[[str, str], list[tuple[str, str]]]
W = "nhi-platform:workloads"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["rollout", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(capsys: pytest.CaptureFixture[str], path: Path, move: str, *argv: str) -> str:
    """Run a move that must be refused; returns the message after `refused: `."""
    before = path.read_bytes()
    code, out, err = run(capsys, move, "--stack-file", str(path), *argv)
    assert (code, out) == (2, "")
    assert err.endswith("\n") and "\n" not in err[:-1], "one paragraph"
    assert err.startswith(f"nhi rollout {move}: refused: ")
    assert path.read_bytes() == before
    return err[len(f"nhi rollout {move}: refused: ") : -1]


def test_release_writes_one_line_and_names_the_gate_job_the_program_renders(
    capsys: pytest.CaptureFixture[str], prod: Path, changed_lines: ChangedLines
) -> None:
    before = prod.read_text()
    code, out, err = run(capsys, "release", "--stack-file", str(prod), "--workload", "payments", "--image", NEW)
    assert (code, err) == (0, "")
    [(old_line, new_line)] = changed_lines(before, prod.read_text())
    assert old_line.startswith("        green: ") and new_line == f"        green: {NEW}\n"
    assert f"{W}[6].rollout.green" in out and f"+ {NEW}" in out and f"Wrote {prod}." in out
    job = next(r for r in capture_stack_file(prod).resources if r.name == "workloads-payments-rollout-gate-green")
    assert f"Job payments/{job.inputs['metadata']['name']} (curl)" in out
    assert "Service payments/payments keeps sending traffic to blue." in out
    assert "then `nhi rollout promote --stack prod --workload payments`" in out


def test_a_dry_run_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    repo_file = REPO / "stacks" / "Pulumi.dev.yaml"
    before = repo_file.read_bytes()
    image = f"{REGISTRY}/cart@sha256:{'e' * 64}"
    code, out, _ = run(capsys, "release", "--stack", "dev", "--workload", "cart", "--image", image, "--dry-run")
    assert code == 0 and f"Dry run: {repo_file} is unchanged." in out and f"+ {image}" in out
    code, out, _ = run(capsys, "promote", "--stack", "dev", "--workload", "cart", "--dry-run")
    assert code == 0 and "- blue\n    + green" in out
    assert repo_file.read_bytes() == before


def test_promote_then_rollback_restores_the_file_byte_for_byte(capsys: pytest.CaptureFixture[str], prod: Path) -> None:
    original = prod.read_bytes()
    code, out, _ = run(capsys, "promote", "--stack-file", str(prod), "--workload", "payments")
    assert code == 0 and "Service payments/payments moves from blue to green" in out
    assert "`nhi rollout rollback` returns to it" in out
    assert [line for line in prod.read_text().splitlines() if "active: green" in line] == ["        active: green"]
    code, out, _ = run(capsys, "rollback", "--stack-file", str(prod), "--workload", "payments")
    assert code == 0 and "Service payments/payments moves from green to blue" in out
    assert prod.read_bytes() == original


def test_a_promote_outside_prod_says_the_slots_scale(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.staging.yaml"
    shutil.copy(REPO / "stacks" / "Pulumi.staging.yaml", path)
    code, out, _ = run(capsys, "promote", "--stack-file", str(path), "--workload", "cart")
    assert code == 0
    assert "Deployment shop/cart-green scales from 1 to 2 replicas." in out
    assert "Deployment shop/cart-blue scales from 2 to 1 replica (in parallel" in out


def test_a_tag_is_refused(capsys: pytest.CaptureFixture[str], prod: Path) -> None:
    image = f"{REGISTRY}/payments:2.0"
    message = refused(capsys, prod, "release", "--workload", "payments", "--image", image)
    assert message == NOT_A_DIGEST.format(image=image)


def test_an_image_from_a_registry_the_stack_does_not_allow_is_refused(
    capsys: pytest.CaptureFixture[str], prod: Path
) -> None:
    message = refused(
        capsys, prod, "release", "--workload", "payments", "--image", f"docker.io/library/payments@sha256:{'e' * 64}"
    )
    assert message == REGISTRY_NOT_ALLOWED.format(registry="docker.io", path=prod, allowed=REGISTRY)


def test_a_release_onto_the_live_slot_is_refused(capsys: pytest.CaptureFixture[str], prod: Path) -> None:
    message = refused(capsys, prod, "release", "--workload", "payments", "--image", NEW, "--slot", "blue")
    assert message == ONTO_LIVE.format(slot="blue", workload="payments", idle="green")
    # Naming the idle slot is fine.
    assert (
        run(capsys, "release", "--stack-file", str(prod), "--workload", "payments", "--image", NEW, "--slot", "green")[
            0
        ]
        == 0
    )


def test_an_unknown_slot_name_is_refused(capsys: pytest.CaptureFixture[str], prod: Path) -> None:
    message = refused(capsys, prod, "release", "--workload", "payments", "--image", NEW, "--slot", "purple")
    assert message == UNKNOWN_SLOT.format(slot="purple")


def test_a_file_with_an_unknown_slot_is_refused_with_the_settings_message(
    capsys: pytest.CaptureFixture[str], prod: Path
) -> None:
    prod.write_text(prod.read_text().replace("        active: blue\n", "        active: purple\n", 1))
    message = refused(capsys, prod, "promote", "--workload", "catalog")
    assert message == NOT_VALID_BEFORE.format(
        path=prod, problems=f"{W}[0].rollout.active: expected 'blue' or 'green', got 'purple'"
    )


def test_an_unknown_workload_and_a_missing_stack_are_refused(capsys: pytest.CaptureFixture[str], prod: Path) -> None:
    message = refused(capsys, prod, "rollback", "--workload", "nope")
    known = ", ".join(w.name for w in settings.stack_file_settings(prod).workloads)
    assert message == UNKNOWN_WORKLOAD.format(path=prod, name="nope", known=known)
    code, _, err = run(capsys, "status", "--stack", "nope")
    assert code == 2 and "No stack file for stack 'nope'" in err and "stacks here: dev, prod, staging" in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], prod: Path) -> None:
    with pytest.raises(SystemExit) as missing_image:
        main(["rollout", "release", "--stack-file", str(prod), "--workload", "payments"])
    with pytest.raises(SystemExit) as no_stack:
        main(["rollout", "promote", "--workload", "payments"])
    assert missing_image.value.code == no_stack.value.code == 2
    assert "--image" in capsys.readouterr().err


def test_releasing_the_image_already_on_the_idle_slot_changes_nothing(
    capsys: pytest.CaptureFixture[str], prod: Path
) -> None:
    idle = next(
        line.split(": ", 1)[1] for line in prod.read_text().splitlines() if "/payments@" in line and "green:" in line
    )
    before = prod.read_bytes()
    code, out, _ = run(capsys, "release", "--stack-file", str(prod), "--workload", "payments", "--image", idle)
    assert code == 0 and out == ALREADY_RELEASED.format(slot="green", workload="payments", image=idle) + "\n"
    assert prod.read_bytes() == before


def test_status_shows_slots_digests_and_what_is_live(capsys: pytest.CaptureFixture[str], prod: Path) -> None:
    run(capsys, "promote", "--stack-file", str(prod), "--workload", "payments")
    code, out, _ = run(capsys, "status", "--stack-file", str(prod), "--format", "json")
    assert code == 0
    report = json.loads(out)
    payments = next(w for w in report["workloads"] if w["name"] == "payments")
    assert (payments["live"], payments["idle"], payments["gated"]) == ("green", "blue", True)
    assert payments["slots"]["green"]["live"] is True and payments["slots"]["blue"]["replicas"] == 3
    assert payments["slots"]["green"]["image"].endswith(
        "645cfb2540e544062e1058fd4da445407eb97635a1acbe084e38af0460a469a5"
    )
    assert payments["previewService"] == "payments-preview"
    assert len(report["workloads"]) == 14
    code, out, _ = run(capsys, "status", "--stack-file", str(prod), "--workload", "payments")
    assert code == 0
    [row] = [line.split() for line in out.splitlines() if line.startswith("payments ")]
    assert row == [
        "payments",
        "payments",
        "green",
        "payments@sha256:645cfb2540e5",
        "blue",
        "payments@sha256:b7eff6532bac",
        "3/3",
        "on",
    ]


def test_status_and_moves_on_a_flow_style_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flow_stack: str, changed_lines: ChangedLines
) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(flow_stack)
    code, out, _ = run(capsys, "status", "--stack-file", str(path))
    assert code == 0 and out.splitlines()[-1].split()[-1] == "on"
    code, _, _ = run(capsys, "promote", "--stack-file", str(path), "--workload", "cart")
    assert code == 0
    [(_, new_line)] = changed_lines(flow_stack, path.read_text())
    assert new_line.startswith('    rollout: {active: "green", blue: \'')
    path.write_text(flow_stack.replace("}   # slots", ", idleReplicas: 0}   # slots"))
    code, out, _ = run(capsys, "status", "--stack-file", str(path))
    assert code == 0 and out.splitlines()[-1].split()[-4:] == ["1/0", "off", "(idleReplicas", "0)"]
