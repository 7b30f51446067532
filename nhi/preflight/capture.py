"""Run a Pulumi Python program under the SDK's mock engine and record every registration as the engine
would see it: type, name, URN, parent, provider, dependencies and the input properties on the wire.

Each run is fresh: its own context (config, settings, root stack), its own event loop, and the program's
own modules are dropped from `sys.modules` afterwards, so consecutive runs never leak into each other."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import logging
import os
import runpy
import site
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import settings as sdk_settings
from pulumi.runtime.stack import run_in_stack

from . import remote, sdk_seam, wire
from .errors import PreflightError
from .failure_context import with_gaps
from .lookups import LookupRecord
from .mocks import CloudContext, PreflightMocks, stable_uuid
from .program import Program, StackConfig
from .time_limit import ProgramTimedOut, progress, time_limit

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class CapturedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    provider: str | None
    """Provider reference as the engine writes it: `<provider URN>::<provider ID>`."""
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    inputs: dict[str, Any]
    """Input properties in wire form (unknown sentinel, signed secrets), references lowered."""
    outputs: dict[str, Any]
    """The resource's state after the (mock) step: inputs plus computed outputs that are known."""
    options: dict[str, Any] = field(default_factory=dict)
    wire_inputs: bytes | None = field(default=None, compare=False, repr=False)
    """The registration's serialised input Struct when it needed no lowering (`inputs` is its value): packs
    are sent these bytes rather than a Struct rebuilt from `inputs`."""
    wire_outputs: bytes | None = field(default=None, compare=False, repr=False)
    """The same for `outputs`."""
    plugin: remote.ComponentPlugin | None = None
    """For a multi-language component (`remote=True`): the plugin that would construct it (not run offline)."""

    @property
    def provider_urn(self) -> str | None:
        return self.provider.rsplit("::", 1)[0] if self.provider else None


@dataclass
class Capture:
    project: str
    stack: str
    unknowns: bool
    resources: list[CapturedResource]
    warnings: list[str]
    unanswered_calls: list[str]
    seconds: float
    lookups: list[LookupRecord] = field(default_factory=list)
    """Every lookup (invoke) the program made and how it was answered: computed, stand-in or unanswered."""

    def by_urn(self) -> dict[str, CapturedResource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_token: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == type_token]


class RecordingMonitor(sdk_mocks.MockMonitor):
    """The SDK's mock monitor, also keeping what `Mocks.new_resource` is not told (URN, parent, provider,
    dependencies, options) and the inputs before deserialisation (so unknowns keep their wire form)."""

    def __init__(
        self,
        mocks: PreflightMocks,
        providers: DefaultProviders | None = None,
        listener: Callable[[CapturedResource], None] | None = None,
    ) -> None:
        super().__init__(mocks)
        self.project = providers.project if providers else ""
        self.stack = providers.config.name if providers else ""
        self.records: list[CapturedResource] = []
        self.registered_outputs: dict[str, dict[str, Any]] = {}
        """What components and the root stack registered as their outputs (`register_outputs`, the stack's
        exports), by URN: their state's outputs, which AnalyzeStack is given."""
        self._lock = threading.Lock()
        self.providers = providers
        self.listener = listener
        # The SDK's handlers give each executor thread an event loop of its own and never close it.
        self.thread_loops: set[asyncio.AbstractEventLoop] = set()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """A resource's URN as the engine makes it: the type is qualified by the parent's whole qualified type
        (`a$b$c`), except that the root stack's type is left out (pulumi/pulumi sdk/go/common/resource/urn.go,
        NewURN, given `parent.QualifiedType()` by pkg/resource/deploy/source_eval.go; the Python SDK's own
        `create_urn` agrees). The SDK's mocks keep only the parent's last type, so nested components' URNs would
        differ from `pulumi preview`'s, and with them every finding's URN and SARIF fingerprint."""
        if parent:
            qualified = parent.split("::", 3)[2]
            if qualified != STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"

    def _note_thread_loop(self) -> None:
        if threading.current_thread() is threading.main_thread():
            return
        try:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:  # this thread never needed one
            return
        with self._lock:
            self.thread_loops.add(loop)

    def close_thread_loops(self) -> None:
        """Close the worker threads' loops once the threads are done, so none is finalised later."""
        with self._lock:
            loops, self.thread_loops = self.thread_loops, set()
        for loop in loops:
            if not loop.is_running() and not loop.is_closed():
                loop.close()

    def Invoke(self, request: Any) -> Any:
        try:
            return super().Invoke(request)
        finally:
            self._note_thread_loop()

    def ReadResource(self, request: Any) -> Any:
        try:
            return super().ReadResource(request)
        finally:
            self._note_thread_loop()

    def RegisterResourceOutputs(self, request: Any) -> Any:
        # The engine sets a component's (and the root stack's) outputs to what it registers here
        # (pulumi/pulumi pkg/resource/deploy/step_executor.go, ExecuteRegisterResourceOutputs), and
        # AnalyzeStack is given each resource's outputs (step_generator.go, AnalyzeResources).
        outputs = wire.lower_references(json_format.MessageToDict(request.outputs))
        with self._lock:
            self.registered_outputs[request.urn] = outputs
        return super().RegisterResourceOutputs(request)

    def RegisterResource(self, request: Any) -> Any:
        try:
            return self._register(request)
        finally:
            self._note_thread_loop()

    def _register(self, request: Any) -> Any:
        plugin = remote.plugin_of(request)
        if plugin is not None:  # not constructed: no mock outputs (see nhi/preflight/remote.py)
            response = remote.unconstructed_response(self.make_urn(request.parent, request.type, request.name))
        else:
            response = super().RegisterResource(request)
        urn = response.urn
        if request.type == STACK_TYPE:
            record = CapturedResource(urn, request.type, request.name, None, False, None, (), {}, {}, {})
        else:
            inputs = wire.lower_references(json_format.MessageToDict(request.object))
            outputs = wire.lower_references(json_format.MessageToDict(response.object))
            wire_inputs, wire_outputs = request.object.SerializeToString(), response.object.SerializeToString()
            record = CapturedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                provider=request.provider or None,
                # The SDK gathers dependencies from sets: sorted, so that runs agree.
                dependencies=tuple(sorted(request.dependencies)),
                property_dependencies={
                    key: tuple(sorted(deps.urns)) for key, deps in sorted(request.propertyDependencies.items())
                },
                inputs=inputs,
                outputs=outputs,
                options=_options(request, self.project, self.stack),
                wire_inputs=None if wire.has_references(wire_inputs) else wire_inputs,
                wire_outputs=None if wire.has_references(wire_outputs) else wire_outputs,
                plugin=plugin,
            )
        if self.providers is not None and record.custom and record.provider is None:
            provider, created = self.providers.for_type(record.type)
            if provider is not None:
                if created:
                    self._publish(provider)
                record = replace(record, provider=f"{provider.urn}::{stable_uuid(provider.urn)}")
        self._publish(record)
        return response

    def _publish(self, record: CapturedResource) -> None:
        """Keep the record and hand it on at once, as the engine hands each step to analyzers."""
        with self._lock:
            self.records.append(record)
        if self.listener is not None:
            self.listener(record)


def alias_urn(request: Any, alias: Any, project: str, stack: str) -> str:
    """An alias as the URN the engine makes of it: a spec's empty fields default to the resource's own name,
    type and parent and to this project and stack, and a parent that is the root stack counts as none
    (pulumi/pulumi pkg/resource/deploy/step_generator.go, collapseAliasToUrn; sdk/go/common/resource/alias.go,
    CreateURN)."""
    if alias.WhichOneof("alias") == "urn":
        return str(alias.urn)
    spec = alias.spec
    parent = "" if spec.noParent else (spec.parentUrn or request.parent)
    if parent and parent.rsplit("::", 2)[-2].rsplit("$", 1)[-1] == STACK_TYPE:
        parent = ""
    name, type_token = spec.name or request.name, spec.type or request.type
    if parent:
        prefix = f"{parent.rsplit('::', 1)[0]}$"
    else:
        prefix = f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::"
    return f"{prefix}{type_token}::{name}"


def _options(request: Any, project: str, stack: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if request.protect:
        options["protect"] = True
    if request.ignoreChanges:
        options["ignoreChanges"] = list(request.ignoreChanges)
    if request.deleteBeforeReplaceDefined:
        options["deleteBeforeReplace"] = bool(request.deleteBeforeReplace)
    if request.additionalSecretOutputs:
        options["additionalSecretOutputs"] = list(request.additionalSecretOutputs)
    # `aliasSpecs` is the SDK's "I send Alias messages" flag; the aliases are in `aliases` (messages) and
    # `aliasURNs` (plain URNs). pulumi-kubernetes gives every Deployment type aliases.
    if request.aliases or request.aliasURNs:
        options["aliases"] = [alias_urn(request, alias, project, stack) for alias in request.aliases] + list(
            request.aliasURNs
        )
    timeouts = {
        key: getattr(request.customTimeouts, key)
        for key in ("create", "update", "delete", "read")
        if getattr(request.customTimeouts, key)
    }
    if timeouts:
        options["customTimeouts"] = timeouts  # Go durations, as the program wrote them ("10m", "1h30m")
    if request.replaceOnChanges:
        options["replaceOnChanges"] = list(request.replaceOnChanges)
    return options


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname.lower()}: {record.getMessage()}")


def cloud_context(config: StackConfig) -> CloudContext:
    decoded = config.decoded()
    accounts = decoded.get("aws:allowedAccountIds")
    account = str(accounts[0]) if isinstance(accounts, list) and accounts else CloudContext.account
    region = decoded.get("aws:region")
    return CloudContext(account=account, region=region if isinstance(region, str) else CloudContext.region)


def capture_program(
    program: Program,
    config: StackConfig,
    *,
    unknowns: bool = False,
    on_resource: Callable[[CapturedResource], None] | None = None,
    timeout: float | None = None,
) -> Capture:
    """Run `program` with `config` under mocks and return what it registered. `on_resource` receives each
    resource as it is registered (from the SDK's worker threads); `timeout` limits the run (in seconds, from
    the main thread only). Raises PreflightError."""
    started = time.perf_counter()
    mocks = PreflightMocks(cloud_context(config), unknowns)
    monitor = RecordingMonitor(mocks, DefaultProviders(program.project, config), on_resource)
    collector = _LogCollector()
    logger = logging.getLogger(f"nhi.preflight.program.{id(monitor)}")
    logger.propagate = False
    logger.addHandler(collector)

    def run_main() -> None:
        runpy.run_path(str(program.main), run_name="__main__")

    def run() -> None:
        sdk_settings.configure(
            sdk_mocks.MockSettings(
                monitor=monitor,
                monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
                engine=sdk_mocks.MockEngine(logger),
                project=program.project,
                stack=config.name,
                dry_run=True,  # a preflight is a preview: programs that branch on it behave as under `pulumi preview`
                organization="organization",
                callbacks=None,
                root_directory=str(program.directory),
            )
        )
        sdk_settings.ROOT.set(None)
        pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(run_in_stack(run_main))
        finally:
            _close_loop(loop)
            monitor.close_thread_loops()

    failure: PreflightError | None = None
    with _program_environment(program), sdk_seam.installed(), _fewer_collections():
        try:
            with time_limit(timeout), progress(lambda: len(monitor.records)):
                contextvars.copy_context().run(run)
        except ProgramTimedOut as error:
            failure = PreflightError(_timed_out(error, program, monitor.records), traceback.format_exc())
        except pulumi.RunError as error:
            failure = PreflightError(
                f"The program stopped before registering its resources:\n{error}", traceback.format_exc()
            )
        except SystemExit as error:
            failure = PreflightError(f"The program exited with status {error.code}.", traceback.format_exc())
        except Exception as error:
            where = _program_frame(error, program.directory)
            failure = PreflightError(
                f"The program failed{where}: {type(error).__name__}: {error}", traceback.format_exc()
            )
        finally:
            logger.removeHandler(collector)
    if failure is not None:
        # Raised outside the except clause, the error carries only text: nothing of the failed run (its
        # futures and their tracebacks) survives it, and that garbage is finalised here, not at a random
        # later point (asyncio logs each unretrieved future: the same failure again, so it is silenced).
        _collect_quietly()
        components = [(f"{r.type}::{r.name}", r.plugin) for r in monitor.records if r.plugin is not None]
        raise with_gaps(failure, mocks.lookups, components)

    resources = _ordered(_with_registered_outputs(monitor.records, monitor.registered_outputs))
    return Capture(
        program.project,
        config.name,
        unknowns,
        resources,
        collector.messages,
        sorted(mocks.unanswered_calls),
        time.perf_counter() - started,
        mocks.lookups.records(),
    )


class _ThisProcess:
    """Whether a run's garbage is finalised as soon as it ends. A process that exits without interpreter
    teardown once its reports are written (the `nhi` command) never meets that garbage again, and collecting a
    large heap costs (measured: 0.45 s at 2,236 resources, 2.2 s at 8,701); it freezes the heap instead, so
    that the collections of what follows do not scan it either."""

    finalise_run_garbage = True


def process_exits_after_run() -> None:
    """Tell the capture that this process exits without teardown after its runs: skip the final collection."""
    _ThisProcess.finalise_run_garbage = False


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close the run's loop as asyncio.run does: a failed run can leave tasks pending, and a pending
    coroutine finalised later by the garbage collector runs code at an arbitrary point (CPython 3.11 then
    fails an unrelated compile() with "AST constructor recursion depth mismatch")."""
    try:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        if _ThisProcess.finalise_run_garbage:
            gc.collect()  # finalise the run's garbage now, while nothing else is running
        else:
            gc.freeze()  # later collections (building the packs' requests, the report) need not scan the run's heap


# A program's run makes hundreds of thousands of short-lived objects (outputs, futures); CPython's default
# thresholds (700, 10, 10) then collect the whole heap over and over. Measured on 2,236 and 8,701 resources:
# 30-35% less time, 2-3% more memory.
GC_THRESHOLDS = (50_000, 50, 50)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _collect_quietly() -> None:
    asyncio_logger = logging.getLogger("asyncio")
    disabled, asyncio_logger.disabled = asyncio_logger.disabled, True
    try:
        gc.collect()
    finally:
        asyncio_logger.disabled = disabled


class _program_environment:
    """cwd, sys.path and sys.modules as the language host gives them, restored afterwards."""

    def __init__(self, program: Program) -> None:
        self.program = program

    def __enter__(self) -> None:
        self.cwd = os.getcwd()
        self.path = list(sys.path)
        self.modules = set(sys.modules)
        os.chdir(self.program.directory)
        sys.path.insert(0, str(self.program.main.parent))

    def __exit__(self, *exc: object) -> None:
        os.chdir(self.cwd)
        sys.path[:] = self.path
        root = str(self.program.directory) + os.sep
        # Installed packages stay (a project's own .venv lives under its directory too).
        installed = tuple(
            {sys.prefix + os.sep, sys.base_prefix + os.sep, *(p + os.sep for p in site.getsitepackages())}
        )
        for name in set(sys.modules) - self.modules:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith(root) and not module_file.startswith(installed):
                del sys.modules[name]


def _timed_out(error: ProgramTimedOut, program: Program, records: list[CapturedResource]) -> str:
    """What the program was doing when its time ran out: where, and how far it had come."""
    where = _program_frame(error, program.directory) or " (waiting in the event loop: an output that never resolves?)"
    last = f", the last {records[-1].type}::{records[-1].name}" if records else ""
    return (
        f"The program did not finish within {error.seconds:g} s (--timeout){where}: {len(records)} "
        f"resource{'s' if len(records) != 1 else ''} registered so far{last}. A loop, a sleep or an output "
        "that never resolves keeps it running; give it longer with --timeout SECONDS."
    )


def _program_frame(error: BaseException, directory: Path) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(str(directory))]
    if not frames:
        return ""
    last = frames[-1]
    return f" at {Path(last.filename).relative_to(directory)}:{last.lineno}"


class DefaultProviders:
    """The default providers the engine creates for resources that name no provider, made on first use, so
    that packs see the same graph as under `pulumi preview`."""

    def __init__(self, project: str, config: StackConfig) -> None:
        self.project = project
        self.config = config
        self.made: dict[str, CapturedResource] = {}
        self._lock = threading.Lock()

    def for_type(self, type_token: str) -> tuple[CapturedResource | None, bool]:
        package = type_token.split(":")[0]
        if package == "pulumi":
            return None, False
        with self._lock:
            if package in self.made:
                return self.made[package], False
            version = _package_version(package)
            name = f"default_{version.replace('.', '_')}" if version else "default"
            urn = f"urn:pulumi:{self.config.name}::{self.project}::pulumi:providers:{package}::{name}"
            properties = {
                key.split(":", 1)[1]: value
                for key, value in self.config.values.items()
                if key.startswith(f"{package}:")
            }
            if version:
                properties["version"] = version
            provider = CapturedResource(
                urn, f"pulumi:providers:{package}", name, None, True, None, (), {}, properties, dict(properties)
            )
            self.made[package] = provider
            return provider, True


def _with_registered_outputs(
    records: list[CapturedResource], registered: dict[str, dict[str, Any]]
) -> list[CapturedResource]:
    """Each component's and the root stack's outputs replaced by what it registered."""
    return [
        replace(record, outputs=registered[record.urn], wire_outputs=None) if record.urn in registered else record
        for record in records
    ]


def _ordered(records: list[CapturedResource]) -> list[CapturedResource]:
    """The stack, then default providers, then the rest in URN order: the SDK registers from a thread pool,
    so arrival order varies between runs; URN order does not."""
    stacks = [r for r in records if r.type == STACK_TYPE]
    defaults = sorted(
        (
            r
            for r in records
            if r.type.startswith("pulumi:providers:") and r.name.startswith("default") and r.parent is None
        ),
        key=lambda r: r.urn,
    )
    rest = sorted((r for r in records if r not in stacks and r not in defaults), key=lambda r: r.urn)
    return stacks + defaults + rest


def _package_version(package: str) -> str | None:
    from importlib import metadata

    for distribution in (f"pulumi_{package}", f"pulumi-{package}"):
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return None
