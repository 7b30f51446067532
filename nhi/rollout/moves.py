"""The moves of `nhi rollout`, each an edit of one workload's `rollout:` in a stack file, and the status.

- release: puts a digest on the idle slot (`rollout.<idle>`). Never the live slot.
- promote: makes the idle slot live (`rollout.active`).
- rollback: makes the idle slot live again after a promote: the same edit as a promote, meant the other way
  (the previous release is still on the idle slot until the next release overwrites it).

A move returns what it would write and what `pulumi up` will then do; the caller writes it (or not, with
`--dry-run`). Every refusal is a `RolloutRefused` naming what was wrong and what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.rollout import gate_command, gate_job_name, preview_service_name
from settings import Slot, StackSettings, WorkloadSettings
from settings.crosscheck import WORKLOADS
from settings.model import DIGEST_REF_RE

from .errors import RolloutRefused
from .image_ref import NOT_A_DIGEST, digest_reference
from .stackfile import StackFile, ValueEdit

REGISTRY_NOT_ALLOWED = (
    "--image comes from {registry!r}, which {path} does not allow (allowed registries: "
    "{allowed}): push or mirror the image into an allowed registry"
)
UNKNOWN_SLOT = "unknown slot {slot!r}: a workload has two slots, 'blue' and 'green'"
ONTO_LIVE = (
    "{slot!r} is the live slot of {workload!r} (it serves the traffic), and a release never touches the "
    "live slot: release onto the idle slot {idle!r} (omit --slot), run `pulumi up` (the gate smoke-tests "
    "it), then `nhi rollout promote`"
)
UNKNOWN_WORKLOAD = "{path} declares no workload {name!r} (workloads: {known})"
ALREADY_RELEASED = "the idle slot {slot!r} of {workload!r} already runs {image}: nothing to change"


def short_image(image: str) -> str:
    """`repository@sha256:<12 hex>`: enough to tell releases apart in a table."""
    repository, _, digest = image.rpartition("@sha256:")
    return f"{repository.split('/', 1)[-1]}@sha256:{digest[:12]}"


def replicas(count: int) -> str:
    return f"{count} replica{'' if count == 1 else 's'}"


def stack_name(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")


def parse_slot(value: str) -> Slot:
    try:
        return Slot(value)
    except ValueError:
        raise RolloutRefused(UNKNOWN_SLOT.format(slot=value)) from None


def gate_job(stack: StackSettings, workload: WorkloadSettings, slot: Slot) -> str | None:
    """The name of a slot's gate Job as the program renders it (None: no gate, idle replicas 0)."""
    if stack.idle_replicas(workload) == 0 or stack.gate_image is None:
        return None
    command = gate_command(workload.name, workload.port, workload.health)
    return gate_job_name(workload.name, slot, workload.rollout.image(slot), stack.gate_image, command)


@dataclass(frozen=True)
class Move:
    """An edit of a stack file, checked and ready to write, and what it will do."""

    kind: str
    path: Path
    workload: str
    edits: tuple[ValueEdit, ...]
    text: str
    """The whole edited file."""
    effects: tuple[str, ...]
    """What the next `pulumi up` does, in order."""
    next_step: str

    def describe(self, *, written: bool) -> str:
        lines = [f"nhi rollout {self.kind}: {self.workload} in {self.path}"]
        for edit in self.edits:
            lines += [f"  {edit.key}", f"    - {edit.old}", f"    + {edit.new}"]
        lines.append("What the next `pulumi up` does:")
        lines += [f"  - {effect}" for effect in self.effects]
        lines.append(f"Next: {self.next_step}")
        lines.append(f"Wrote {self.path}." if written else f"Dry run: {self.path} is unchanged.")
        return "\n".join(lines)


@dataclass(frozen=True)
class WorkloadStatus:
    name: str
    namespace: str
    live: Slot
    images: dict[Slot, str]
    replicas: dict[Slot, int]
    gate_jobs: dict[Slot, str | None]

    @property
    def idle(self) -> Slot:
        return self.live.other

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "live": self.live.value,
            "idle": self.idle.value,
            "service": self.name,
            "previewService": preview_service_name(self.name),
            "gated": self.gate_jobs[self.idle] is not None,
            "slots": {
                slot.value: {
                    "image": self.images[slot],
                    "replicas": self.replicas[slot],
                    "live": slot is self.live,
                    "gateJob": self.gate_jobs[slot],
                }
                for slot in Slot
            },
        }


def _workload(file: StackFile, stack: StackSettings, name: str) -> tuple[int, WorkloadSettings]:
    for index, workload in enumerate(stack.workloads):
        if workload.name == name:
            return index, workload
    known = ", ".join(w.name for w in stack.workloads) or "none"
    raise RolloutRefused(UNKNOWN_WORKLOAD.format(path=file.path, name=name, known=known))


def _rollout_path(index: int, key: str) -> tuple[str | int, ...]:
    return ("config", WORKLOADS, index, "rollout", key)


def _pulumi_up(stack: StackSettings) -> str:
    environment = stack.environment.value
    return f"pulumi up --policy-pack policy --policy-pack-config policy/config/{environment}.json"


def release(file: StackFile, workload_name: str, image: str, slot: str | None = None) -> Move | str:
    """Put `image` on the idle slot (`slot`, if given, must name it). Returns the Move, or a message when the
    idle slot already runs `image`."""
    target = parse_slot(slot) if slot is not None else None
    stack = file.settings()
    new = digest_reference(image)
    if new.group("registry") not in stack.registries:
        raise RolloutRefused(
            REGISTRY_NOT_ALLOWED.format(
                registry=new.group("registry"), path=file.path, allowed=", ".join(stack.registries)
            )
        )
    index, workload = _workload(file, stack, workload_name)
    live, idle = workload.rollout.active, workload.rollout.idle
    if target is live:
        raise RolloutRefused(ONTO_LIVE.format(slot=live.value, workload=workload.name, idle=idle.value))
    old = workload.rollout.image(idle)
    if old == image:
        return ALREADY_RELEASED.format(slot=idle.value, workload=workload.name, image=image)
    edit = ValueEdit(_rollout_path(index, idle.value), old, image)
    text, after = file.checked_edit([edit])
    released = after.workloads[index]
    ns, name = workload.namespace, workload.name
    effects = [
        f"Deployment {ns}/{name}-{idle.value} rolls to the new image ({replicas(after.idle_replicas(released))}); "
        f"{name}-{live.value} is not touched."
    ]
    job = gate_job(after, released, idle)
    if job is not None:
        check = gate_command(name, workload.port, workload.health)[0]
        effects.append(
            f"Job {ns}/{job} ({check}) smoke-tests it through Service {preview_service_name(name)}; "
            "if it fails, `pulumi up` fails and traffic stays where it is."
        )
    else:
        effects.append("No gate: idleReplicas is 0, so the new image runs nowhere until it is promoted.")
    effects.append(f"Service {ns}/{name} keeps sending traffic to {live.value}.")
    old_ref = DIGEST_REF_RE.match(old)
    assert old_ref is not None  # settings accept only images pinned by digest
    old_repository = old_ref.group("repository")
    if old_repository != new.group("repository"):
        effects.append(f"Note: the repository changes from {old_repository} to {new.group('repository')}.")
    next_step = f"{_pulumi_up(after)}, then `nhi rollout promote --stack {stack_name(file.path)} --workload {name}`"
    return Move("release", file.path, name, (edit,), text, tuple(effects), next_step)


def _flip(kind: str, file: StackFile, workload_name: str) -> Move:
    stack = file.settings()
    index, workload = _workload(file, stack, workload_name)
    live, idle = workload.rollout.active, workload.rollout.idle
    edit = ValueEdit(_rollout_path(index, "active"), live.value, idle.value)
    text, after = file.checked_edit([edit])
    moved = after.workloads[index]
    ns, name = workload.namespace, workload.name
    full, small = moved.replicas, after.idle_replicas(moved)
    job = gate_job(after, moved, idle)
    waits = f"Deployment {name}-{idle.value} is ready" + (f" and its gate Job {job} has completed" if job else "")
    effects = []
    if small != full:
        effects.append(f"Deployment {ns}/{name}-{idle.value} scales from {small} to {replicas(full)}.")
    effects.append(
        f"Service {ns}/{name} moves from {live.value} to {idle.value} ({short_image(moved.rollout.image(idle))}) "
        f"once {waits}."
    )
    effects.append(f"Service {ns}/{preview_service_name(name)} moves from {idle.value} to {live.value}.")
    if small != full:
        when = "after the Service has moved" if job is None else "in parallel; it keeps serving until the move"
        effects.append(f"Deployment {ns}/{name}-{live.value} scales from {full} to {replicas(small)} ({when}).")
    previous = short_image(moved.rollout.image(live))
    if kind == "promote":
        effects.append(
            f"{live.value} keeps {previous} at {replicas(small)}: `nhi rollout rollback` returns to it "
            "until the next release overwrites it."
        )
    else:
        effects.append(
            f"{live.value} keeps {previous} at {replicas(small)}: release a fix onto it, or "
            "`nhi rollout promote` to return to it."
        )
    next_step = _pulumi_up(after)
    return Move(kind, file.path, name, (edit,), text, tuple(effects), next_step)


def promote(file: StackFile, workload_name: str) -> Move:
    """Make the idle slot live (after a release whose gate has passed)."""
    return _flip("promote", file, workload_name)


def rollback(file: StackFile, workload_name: str) -> Move:
    """Make the previous slot live again (after a promote): the idle slot still runs the previous release."""
    return _flip("rollback", file, workload_name)


def status(file: StackFile, workload_name: str | None = None) -> list[WorkloadStatus]:
    stack = file.settings()
    chosen = [_workload(file, stack, workload_name)[1]] if workload_name else list(stack.workloads)
    return [
        WorkloadStatus(
            name=w.name,
            namespace=w.namespace,
            live=w.rollout.active,
            images={slot: w.rollout.image(slot) for slot in Slot},
            replicas={slot: w.replicas if slot is w.rollout.active else stack.idle_replicas(w) for slot in Slot},
            gate_jobs={slot: gate_job(stack, w, slot) for slot in Slot},
        )
        for w in chosen
    ]


def status_table(path: Path, statuses: list[WorkloadStatus]) -> str:
    header = ("WORKLOAD", "NAMESPACE", "LIVE", "LIVE IMAGE", "IDLE", "IDLE IMAGE", "REPLICAS", "GATE")
    rows = [header]
    for s in statuses:
        same = " (same image)" if s.images[s.live] == s.images[s.idle] else ""
        rows.append(
            (
                s.name,
                s.namespace,
                s.live.value,
                short_image(s.images[s.live]),
                s.idle.value,
                short_image(s.images[s.idle]) + same,
                f"{s.replicas[s.live]}/{s.replicas[s.idle]}",
                "on" if s.gate_jobs[s.idle] else "off (idleReplicas 0)",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        f"Stack file {path}: live slot serves Service <workload>, idle slot serves <workload>-preview; "
        "REPLICAS is live/idle."
    ]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def status_json(path: Path, statuses: list[WorkloadStatus]) -> dict[str, Any]:
    return {"stackFile": str(path), "workloads": [s.to_json() for s in statuses]}


__all__ = [
    "ALREADY_RELEASED",
    "NOT_A_DIGEST",
    "ONTO_LIVE",
    "REGISTRY_NOT_ALLOWED",
    "UNKNOWN_SLOT",
    "UNKNOWN_WORKLOAD",
    "Move",
    "WorkloadStatus",
    "promote",
    "release",
    "rollback",
    "status",
    "status_json",
    "status_table",
]
