"""The preflight from end to end: capture the program, then analyze the capture with every pack."""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import program_output
from .analyzer import PackStream, Remediation, StartedPack
from .capture import Capture, CapturedResource, capture_program
from .capture_child import capture_in
from .errors import PreflightError
from .interpreter import is_this_interpreter, program_python
from .pack_config import PolicyPackConfig, load_pack_config
from .program import Program, load_program, stack_config, stack_tags
from .remediation import add_to_result, remediate, with_remediated_inputs
from .report import Verdict

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PreflightOptions:
    program: Path = REPO_ROOT
    stack: str | None = None
    stack_file: Path | None = None
    packs: tuple[Path, ...] = (REPO_ROOT / "policy",)
    pack_configs: tuple[Path, ...] = field(default_factory=tuple)
    unknowns: bool = False
    startup_timeout: float = 30.0
    program_timeout: float | None = None
    """Seconds the program may run (None: no limit)."""


def _pair_configs(options: PreflightOptions) -> list[PolicyPackConfig | None]:
    """Configs pair with packs in order, as with `pulumi preview --policy-pack A --policy-pack-config A.json`:
    none, or exactly one per pack (pulumi/pulumi pkg/cmd/pulumi/operations/up.go, validatePolicyPackConfig)."""
    if options.pack_configs and len(options.pack_configs) != len(options.packs):
        raise PreflightError(
            f"{len(options.pack_configs)} --policy-pack-config files for {len(options.packs)} "
            "--policy-pack directories: the number of --policy-pack-config flags must match the number of "
            "--policy-pack flags (one config per pack, in the same order), as `pulumi preview` requires."
        )
    configs: list[PolicyPackConfig | None] = [load_pack_config(p) for p in options.pack_configs]
    return configs + [None] * (len(options.packs) - len(configs))


class Fanout:
    """Hands each registered resource to every pack stream exactly once: streams attached late (a pack still
    starting when the program began) first receive what was registered before them."""

    def __init__(self) -> None:
        self.records: list[CapturedResource] = []
        self.streams: list[PackStream] = []
        self._lock = threading.Lock()

    def publish(self, record: CapturedResource) -> None:
        with self._lock:
            self.records.append(record)
            streams = list(self.streams)
        for stream in streams:
            stream.submit(record)

    def attach(self, stream: PackStream) -> None:
        with self._lock:
            backlog = list(self.records)
            self.streams.append(stream)
        for record in backlog:
            stream.submit(record)


def run_preflight(options: PreflightOptions) -> Verdict:
    started = time.perf_counter()
    for pack in options.packs:
        if not pack.is_dir():
            raise PreflightError(f"Policy pack directory {pack} does not exist.")
    # Resolved here, before any thread starts: the capture runs the program in its own directory.
    packs = tuple(pack.resolve() for pack in options.packs)
    pack_configs = _pair_configs(options)
    program = load_program(options.program)
    config = stack_config(program, options.stack, options.stack_file)
    tags = stack_tags(program, config)
    capture_with = _capture_for(program)
    fanout = Fanout()
    streams: list[PackStream] = []

    def start(directory: Path, pack_config: PolicyPackConfig | None) -> StartedPack:
        return StartedPack(directory, program.project, config, pack_config, options.startup_timeout, tags)

    def stream_when_all_started(starting: list[Future[StartedPack]]) -> bool:
        """Attach every pack's stream once all are configured, unless one remediates: then each resource must
        first go through every pack's Remediate, and is analyzed once the program has finished."""
        started_packs = [future.result() for future in starting]
        if any(pack.remediates for pack in started_packs):
            return False
        for pack in started_packs:
            stream = pack.stream()
            streams.append(stream)
            fanout.attach(stream)
        return True

    # Packs start while the program runs and analyze each resource as it is registered, as the engine
    # starts analyzers beside the language host and hands them every step.
    with ThreadPoolExecutor(max_workers=len(options.packs) + 1) as pool:
        starting = [
            pool.submit(start, directory, pack_config)
            for directory, pack_config in zip(packs, pack_configs, strict=True)
        ]
        streaming = pool.submit(stream_when_all_started, starting)
        try:
            # The program's own output goes to stderr, so that JSON and SARIF on stdout stay parseable.
            with program_output.to_stderr():
                capture = capture_with(
                    program,
                    config,
                    unknowns=options.unknowns,
                    on_resource=fanout.publish,
                    timeout=options.program_timeout,
                )
            program_seconds = time.perf_counter() - started
            ready = [future.result() for future in starting]
            analyzed = time.perf_counter()
            remediations: list[list[Remediation]] = [[] for _ in ready]
            if not streaming.result():
                remediated = remediate(fanout.records, ready, remediations)
                capture = with_remediated_inputs(capture, remediated)
                streams.extend(started.stream() for started in ready)
                for record in remediated:
                    for stream in streams:
                        stream.submit(record)
            results = list(pool.map(lambda stream: stream.finish(capture), streams))
            for result, found in zip(results, remediations, strict=True):
                add_to_result(result, found)
        finally:
            with contextlib.suppress(BaseException):
                streaming.result()  # no stream attaches after this point
            for stream in streams:
                stream.cancel()
            for future in starting:
                _stop_when_started(future)
    finished = time.perf_counter()
    return Verdict(capture, results, program_seconds, finished - analyzed, finished - started, config.source)


def _capture_for(program: Program) -> Callable[..., Capture]:
    """The capture in this interpreter, or in the program's own virtualenv when it names another one."""
    python = program_python(program)
    if python is None or is_this_interpreter(python):
        return capture_program
    return functools.partial(capture_in, python)


def _stop_when_started(future: Future[StartedPack]) -> None:
    try:
        pack = future.result()
    except BaseException:
        return
    pack.stop()
