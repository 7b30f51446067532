"""Run a policy pack the way the Pulumi engine does: start it as its own process, read the port it prints,
and speak the Analyzer gRPC protocol: GetAnalyzerInfo, Configure, ConfigureStack, Analyze for every
resource, AnalyzeStack once."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import grpc
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from . import relay
from .capture import STACK_TYPE, Capture, CapturedResource
from .errors import PreflightError
from .lifetime import ending_with_this_process
from .pack_config import LEVEL_REMEDIATE, PolicyPackConfig, level_name, resolve_policy_config
from .program import StackConfig

# The SDK's message when a policy touched an unknown value (pulumi_policy's UnknownValueError path).
CANNOT_RUN_PREFIX = "can't run policy"
CANNOT_RUN_PREFIX_REMEDIATION = "can't run remediation"  # the same, from Remediate
SEVERITIES = {0: "unspecified", 1: "low", 2: "medium", 3: "high", 4: "critical"}
CALL_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    enforcement_level: str
    severity: str
    tags: tuple[str, ...] = ()
    remediation: str = ""
    framework: str = ""


@dataclass(frozen=True)
class Diagnostic:
    pack: str
    policy: str
    enforcement_level: str
    severity: str
    urn: str
    message: str


@dataclass(frozen=True)
class NotRun:
    pack: str
    policy: str
    urn: str
    reason: str


@dataclass(frozen=True)
class PropertyChange:
    property: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Remediation:
    """A remediate-level policy that changed a resource's inputs before analysis (or, with `diagnostic`, could
    not: the engine shows that as an advisory violation)."""

    pack: str
    policy: str
    urn: str
    description: str
    changes: tuple[PropertyChange, ...] = ()
    diagnostic: str = ""


@dataclass
class PackResult:
    name: str
    version: str
    directory: Path
    policies: list[PolicyInfo]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    not_run: list[NotRun] = field(default_factory=list)
    start_seconds: float = 0.0
    analyze_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)


class PackProcess:
    """A policy pack process: started like the engine starts analyzer plugins, stopped on exit."""

    def __init__(self, directory: Path, environment: dict[str, str], startup_timeout: float) -> None:
        self.directory = directory.resolve()
        if not (self.directory / "__main__.py").is_file() and not (self.directory / "PulumiPolicy.yaml").is_file():
            raise PreflightError(f"{self.directory} is not a policy pack: no PulumiPolicy.yaml or __main__.py in it.")
        self.environment = environment
        self.startup_timeout = startup_timeout
        self.stderr = _scratch_file()
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: grpc.Channel | None = None
        self.target = ""

    def python(self) -> str:
        """The pack's own virtualenv when it has one (as the CLI would create), else this interpreter."""
        manifest = self.directory / "PulumiPolicy.yaml"
        if manifest.is_file():
            try:
                runtime = (yaml.safe_load(manifest.read_text()) or {}).get("runtime")
            except yaml.YAMLError as error:
                raise PreflightError(f"{manifest} is not valid YAML: {error}") from None
            options = runtime.get("options") if isinstance(runtime, dict) else None
            venv = options.get("virtualenv") if isinstance(options, dict) else None
            if isinstance(venv, str):
                candidate = self.directory / venv / "bin" / "python"
                if candidate.is_file():
                    return str(candidate)
        return sys.executable

    def start(self) -> analyzer_pb2_grpc.AnalyzerStub:
        self.process = subprocess.Popen(
            ending_with_this_process([self.python(), "-u", "__main__.py"]),
            cwd=self.directory,
            env=self.environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        port = self._read_port()
        self.target = f"127.0.0.1:{port}"
        self.channel = grpc.insecure_channel(self.target)
        try:
            grpc.channel_ready_future(self.channel).result(timeout=self.startup_timeout)
        except grpc.FutureTimeoutError:
            raise self.failure(f"printed port {port} but accepted no connection") from None
        return analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def _read_port(self) -> int:
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.startup_timeout)
        if reader.is_alive():
            raise self.failure(f"did not print its port within {self.startup_timeout:g} s")
        text = line[0].decode(errors="replace").strip() if line else ""
        if not text:
            self.process.wait(timeout=5)
            raise self.failure(f"exited with status {self.process.returncode} before printing its port")
        try:
            return int(text)
        except ValueError:
            raise self.failure(f"printed {text[:80]!r} where the engine expects its port number") from None

    def failure(self, what: str) -> PreflightError:
        self.stop()
        return PreflightError(f"Policy pack {self.directory} {what}.{error_output(self.stderr)}")

    def call_failure(self, what: str, code: str, details: str) -> PreflightError:
        """A call that failed: said as the pack's death when the pack has exited."""
        process = self.process
        crashed = process is not None and _exited(process)
        status = f"exited with status {process.returncode}" if process is not None and crashed else "failed"
        return self.failure(f"{status} during {what}: {code}: {details}")

    def stop(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _scratch_file() -> IO[bytes]:
    """An anonymous file for a child process's error output, kept as long as its owner (read on failure)."""
    return tempfile.TemporaryFile()


def error_output(stderr: Any, lines: int = 12) -> str:
    """The end of a child process's captured error output, as a sentence to append (empty when silent)."""
    stderr.seek(0)
    tail = "\n".join(stderr.read().decode(errors="replace").strip().splitlines()[-lines:])
    return f"\nIts error output ends with:\n{tail}" if tail else ""


# Linux refuses to start a process whose single environment value exceeds 128 KiB (MAX_ARG_STRLEN).
ENV_VALUE_LIMIT = 120 * 1024


def pack_environment(project: str, config: StackConfig) -> tuple[dict[str, str], list[str]]:
    """The environment analyzers get, and warnings. A stack config too large for one environment value is
    left out of PULUMI_CONFIG (packs still receive it through ConfigureStack) instead of failing the start."""
    import json

    env = dict(os.environ)
    warnings: list[str] = []
    encoded = json.dumps(config.values)
    if len(encoded.encode()) <= ENV_VALUE_LIMIT:
        env["PULUMI_CONFIG"] = encoded
    else:
        env.pop("PULUMI_CONFIG", None)
        warnings.append(
            f"the stack config ({len(encoded.encode()) // 1024} KiB) is too large for the packs' "
            "PULUMI_CONFIG environment variable; packs receive it through ConfigureStack only"
        )
    env.update(
        {
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(list(config.secret_keys)),
            "PULUMI_PROJECT": project,
            "PULUMI_STACK": config.name,
            "PULUMI_DRY_RUN": "true",
            "PULUMI_ORGANIZATION": "organization",
        }
    )
    return env, warnings


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def _options(resource: CapturedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    """The options as the engine marshals them (pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go,
    marshalResourceOptions): custom timeouts always present, in seconds; aliases as URNs. The engine sends the
    alias URN under which it found the resource's old state; with no state offline, every alias the program
    declares is sent, each resolved as the engine resolves it (capture.alias_urn)."""
    options = resource.options
    timeouts = {key: duration_seconds(value, resource) for key, value in options.get("customTimeouts", {}).items()}
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(options.get("protect")),
        ignoreChanges=options.get("ignoreChanges", []),
        deleteBeforeReplace=bool(options.get("deleteBeforeReplace")),
        deleteBeforeReplaceDefined="deleteBeforeReplace" in options,
        additionalSecretOutputs=options.get("additionalSecretOutputs", []),
        aliases=[a for a in options.get("aliases", []) if a],
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(**timeouts),
        parent=resource.parent or "",
    )


# Go's time.ParseDuration, which the engine applies to each custom timeout (source_eval.go,
# generateTimeoutInSeconds): a sequence of decimal numbers with units, optionally signed.
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_seconds(text: str, resource: CapturedResource) -> float:
    sign, body = (-1.0, text[1:]) if text.startswith("-") else (1.0, text.removeprefix("+"))
    if body == "0":
        return 0.0
    parts = _DURATION_PART.findall(body)
    if not body or "".join(number + unit for number, unit in parts) != body:
        raise PreflightError(
            f"{resource.type}::{resource.name}: customTimeouts value {text!r} is not a duration "
            "(the engine refuses it: unable to parse customTimeout Value); write it as Go does, e.g. 10m or 1h30m."
        )
    return sign * sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


class Analysis:
    """One pack's conversation with the engine's requests for one capture."""

    def __init__(self, stub: analyzer_pb2_grpc.AnalyzerStub | None, capture: Capture | None, directory: Path) -> None:
        self.stub = stub
        self.capture = capture
        self.directory = directory
        self.by_urn: dict[str, CapturedResource] = capture.by_urn() if capture else {}
        self._providers: dict[str, analyzer_pb2.AnalyzerProviderResource] = {}

    def add(self, resource: CapturedResource) -> None:
        """Know a resource as it arrives (providers arrive before the resources that use them)."""
        self.by_urn[resource.urn] = resource

    def _provider(self, resource: CapturedResource) -> analyzer_pb2.AnalyzerProviderResource | None:
        urn = resource.provider_urn or ""
        message = self._providers.get(urn)  # one message per provider, not one per resource that uses it
        if message is None:
            provider = self.by_urn.get(urn)
            if provider is None:
                return None
            message = self._providers[urn] = analyzer_pb2.AnalyzerProviderResource(
                type=provider.type, urn=provider.urn, name=provider.name
            )
            _set_properties(message.properties, provider.inputs, None)
        return message

    def analyze_request(self, resource: CapturedResource, internal_keys: bool = False) -> analyzer_pb2.AnalyzeRequest:
        """An Analyze request, or with `internal_keys` the Remediate request (the same message)."""
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            urn=resource.urn,
            name=resource.name,
            options=_options(resource),
            provider=self._provider(resource),
        )
        _set_properties(request.properties, resource.inputs, resource.wire_inputs, internal_keys)
        return request

    def stack_request(self, capture: Capture | None = None) -> analyzer_pb2.AnalyzeStackRequest:
        request = analyzer_pb2.AnalyzeStackRequest()
        source = capture or self.capture
        if source is None:
            raise ValueError("a stack request needs a capture")
        for resource in source.resources:
            entry = request.resources.add(
                type=resource.type,
                urn=resource.urn,
                name=resource.name,
                options=_options(resource),
                provider=self._provider(resource),
                parent=resource.parent or "",
                dependencies=list(resource.dependencies),
                # Properties with no dependencies are left out (analyzer_plugin.go, AnalyzeStack).
                propertyDependencies={
                    key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
                    for key, urns in resource.property_dependencies.items()
                    if urns
                },
            )
            _set_properties(entry.properties, resource.outputs, resource.wire_outputs)
        return request


_Analysis = Analysis  # its former name, which tests and benchmarks import


def _set_properties(
    target: struct_pb2.Struct, values: dict[str, Any], wire_form: bytes | None, internal_keys: bool = False
) -> None:
    """The properties as the program's registration carried them: its own bytes when it had no resource
    references to lower (the same Struct, parsed in C), else built from the lowered values. Analyze,
    AnalyzeStack and a provider's properties go without the engine's internal keys (a top-level key that
    starts with `__`, such as a dynamic provider's `__provider`); Remediate gets them (analyzer_plugin.go:
    MarshalOptions SkipInternalKeys true for the first three, false for Remediate)."""
    target.SetInParent()
    if wire_form is not None:
        target.MergeFromString(wire_form)
    else:
        target.update(values)
    if not internal_keys:
        for key in [key for key in target.fields if key.startswith(INTERNAL_KEY_PREFIX)]:
            del target.fields[key]


INTERNAL_KEY_PREFIX = "__"  # resource.PropertyKey.IsInternal in pulumi/pulumi sdk/go/common/resource


def _call(what: str, pack: PackProcess, method: Any, request: Any = None) -> Any:
    try:
        return method(request, timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        raise pack.call_failure(what, error.code().name, error.details()) from None


class StartedPack:
    """A pack process that is up and configured, waiting for resources. Started before the program runs,
    so that its start-up (and its own warm-up) overlap the program's."""

    def __init__(
        self,
        directory: Path,
        project: str,
        config: StackConfig,
        pack_config: PolicyPackConfig | None,
        startup_timeout: float = 30.0,
        tags: dict[str, str] | None = None,
    ) -> None:
        environment, self.warnings = pack_environment(project, config)
        self.process = PackProcess(directory, environment, startup_timeout)
        started = time.perf_counter()
        try:
            self.stub = self.process.start()
            self.start_seconds = time.perf_counter() - started
            info = _call("GetAnalyzerInfo", self.process, self.stub.GetAnalyzerInfo, empty_pb2.Empty())
            self.policy_config = resolve_policy_config(info, pack_config, self.process.directory)
            _call(
                "Configure",
                self.process,
                self.stub.Configure,
                analyzer_pb2.ConfigureAnalyzerRequest(
                    policyConfig={
                        name: analyzer_pb2.PolicyConfig(
                            enforcementLevel=analyzer_pb2.EnforcementLevel.ValueType(entry.level),
                            properties=_struct(entry.properties),
                        )
                        for name, entry in self.policy_config.items()
                    }
                ),
            )
            _configure_stack(self.stub, project, config, tags or {})
        except BaseException:
            self.process.stop()
            raise
        self.info = info

    @property
    def remediates(self) -> bool:
        """Whether a policy of this pack runs at the remediate level: only those remediate (pulumi-policy's
        Remediate skips every other level), so for other packs the engine's Remediate changes nothing."""
        names = {policy.name for policy in self.info.policies}
        return any(entry.level == LEVEL_REMEDIATE for name, entry in self.policy_config.items() if name in names)

    def stream(self) -> PackStream:
        """Analyze resources as they are registered, as the engine hands each step to analyzers."""
        return PackStream(self)

    def analyze(self, capture: Capture) -> PackResult:
        """Analyze a finished capture: every resource, then the stack."""
        stream = self.stream()
        for resource in capture.resources:
            stream.submit(resource)
        return stream.finish(capture)

    def stop(self) -> None:
        self.process.stop()


class PackStream:
    """One pack's Analyze calls, sent while the program still runs; AnalyzeStack once it has finished.

    The calls go through a relay process (nhi/preflight/relay.py), as the engine, a process of its own,
    calls analyzers: each registered resource is serialised and written to the relay, which starts the
    call at once, so gRPC's client work runs on the other core instead of taking the program's GIL."""

    def __init__(self, pack: StartedPack) -> None:
        self.pack = pack
        self.analysis = Analysis(pack.stub, None, pack.process.directory)
        self.submitted: list[CapturedResource] = []
        self._lock = threading.Lock()
        self._relay_error = _scratch_file()
        self.relay = subprocess.Popen(
            ending_with_this_process(
                [sys.executable, str(RELAY_SCRIPT), pack.process.target, ANALYZE_METHOD, str(CALL_TIMEOUT_SECONDS)]
            ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._relay_error,
            bufsize=RELAY_BUFFER_BYTES,
        )
        assert self.relay.stdin is not None and self.relay.stdout is not None  # both are pipes
        self._to_relay, self._from_relay = self.relay.stdin, self.relay.stdout
        _widen_pipe(self._to_relay)
        self._broken: OSError | None = None

    def submit(self, resource: CapturedResource) -> None:
        self.analysis.add(resource)  # providers arrive before the resources that use them
        payload = relay.ANALYZE + self.analysis.analyze_request(resource).SerializeToString()
        with self._lock:
            if self._broken is not None:
                return
            try:
                relay.write_frame(self._to_relay, payload)
            except OSError as error:  # the relay is gone: reported by finish(), not from the program's thread
                self._broken = error
                return
            self.submitted.append(resource)

    def finish(self, capture: Capture) -> PackResult:
        """Collect every Analyze answer, then run AnalyzeStack on the whole capture. Raises PreflightError."""
        pack, info = self.pack, self.pack.info
        finishing = time.perf_counter()
        result = PackResult(
            name=info.name,
            version=info.version or "0.0.0",
            directory=pack.process.directory,
            start_seconds=pack.start_seconds,
            policies=[
                PolicyInfo(
                    p.name,
                    p.description,
                    level_name(pack.policy_config[p.name].level),
                    SEVERITIES.get(p.severity, "unspecified"),
                    tuple(p.tags),
                    p.remediation_steps,
                    p.framework.name,
                )
                for p in info.policies
            ],
            warnings=[f"pack {info.name}: {w}" for w in pack.warnings],
        )
        try:
            for resource, answer in zip(self.submitted, self._answers(), strict=True):
                # The engine attributes a resource's findings to that resource (analyze_snapshot.go,
                # analyzeResource: OnPolicyViolation(r.URN, d)).
                _collect(result, self._analyze_response(resource, answer), _always(resource.urn))
            stack = _call("AnalyzeStack", pack.process, pack.stub.AnalyzeStack, self.analysis.stack_request(capture))
            _collect(result, stack, _stack_finding_urn(capture))
        finally:
            self.cancel()
        result.analyze_seconds = time.perf_counter() - finishing
        return result

    def _answers(self) -> list[bytes]:
        """Tell the relay the program has finished and read its answers, one per submitted resource."""
        with self._lock:
            broken = self._broken
            if broken is None:
                try:
                    relay.write_frame(self._to_relay, relay.END)
                    self._to_relay.close()
                except OSError as error:
                    broken = error
        answers: list[bytes] = []
        while broken is None and len(answers) < len(self.submitted):
            frame = relay.read_frame(self._from_relay)
            if frame is None:
                break
            answers.append(frame)
        if len(answers) < len(self.submitted):
            raise self._relay_failure(broken)
        return answers

    def _analyze_response(self, resource: CapturedResource, answer: bytes) -> analyzer_pb2.AnalyzeResponse:
        kind, body = answer[:1], answer[1:]
        if kind == relay.RESPONSE:
            return analyzer_pb2.AnalyzeResponse.FromString(body)
        code, _, details = body.decode(errors="replace").partition("\n")
        raise self.pack.process.call_failure(f"Analyze of {resource.urn}", code, details)

    def _relay_failure(self, broken: OSError | None) -> PreflightError:
        self.cancel()
        cause = f" ({broken})" if broken is not None else f" (exit status {self.relay.returncode})"
        return PreflightError(
            f"The relay carrying Analyze calls to policy pack {self.pack.process.directory} "
            f"stopped before answering{cause}.{error_output(self._relay_error)}"
        )

    def cancel(self) -> None:
        """Stop the relay (its calls still in flight are abandoned with it)."""
        if self.relay.poll() is None:
            self.relay.kill()
        self.relay.wait()
        for stream in (self._to_relay, self._from_relay):
            with contextlib.suppress(OSError):
                stream.close()


def _exited(process: subprocess.Popen[bytes], grace: float = 2.0) -> bool:
    """Whether the pack's process has ended: its socket closes a moment before the process is gone, so a
    call that failed because it is dying waits a little for the exit status instead of calling it alive."""
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        return False
    return True


RELAY_SCRIPT = Path(relay.__file__)
ANALYZE_METHOD = "/pulumirpc.Analyzer/Analyze"
RELAY_BUFFER_BYTES = 1 << 16
F_SETPIPE_SZ = 1031  # Linux's fcntl for a pipe's capacity


def _widen_pipe(stream: Any) -> None:
    """Give the pipe to the relay 1 MiB (Linux), so that a burst of registrations rarely waits for it."""
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), F_SETPIPE_SZ, 1 << 20)
    except (ImportError, OSError):
        pass  # another system, or a lower limit: the default capacity is only slower


def _configure_stack(
    stub: analyzer_pb2_grpc.AnalyzerStub, project: str, config: StackConfig, tags: dict[str, str]
) -> None:
    """Stack, project, organization, tags, dry run and config, as the engine sends them before any analysis
    (pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer; the tags are the target's,
    pkg/engine/update.go)."""
    request = analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=config.name,
        project=project,
        organization="organization",
        dry_run=True,
        config=config.values,
        config_secret_keys=list(config.secret_keys),
        tags=tags,
    )
    try:
        stub.ConfigureStack(request, timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.UNIMPLEMENTED:  # older packs do not have it, as with the engine
            raise


def _always(urn: str) -> Callable[[str], str]:
    return lambda _diagnostic_urn: urn


def _stack_finding_urn(capture: Capture) -> Callable[[str], str]:
    """A stack policy's finding belongs to the resource it names when that is in the stack, else to the root
    stack (pulumi/pulumi pkg/resource/deploy/analyze_snapshot.go, resolveStackPolicyViolationURN)."""
    urns = {resource.urn for resource in capture.resources}
    root = next(
        (r.urn for r in capture.resources if r.type == STACK_TYPE and r.parent is None),
        f"urn:pulumi:{capture.stack}::{capture.project}::{STACK_TYPE}::{capture.project}-{capture.stack}",
    )
    return lambda urn: urn if urn in urns else root


def _collect(result: PackResult, response: analyzer_pb2.AnalyzeResponse, urn_of: Callable[[str], str]) -> None:
    levels = {p.name: p.enforcement_level for p in result.policies}
    for diagnostic in response.diagnostics:
        urn = urn_of(diagnostic.urn)
        if diagnostic.message.startswith(CANNOT_RUN_PREFIX):
            result.not_run.append(NotRun(result.name, diagnostic.policyName, urn, diagnostic.message))
            continue
        level = level_name(diagnostic.enforcementLevel) or levels.get(diagnostic.policyName, "advisory")
        result.diagnostics.append(
            Diagnostic(
                result.name,
                diagnostic.policyName,
                level,
                SEVERITIES.get(diagnostic.severity, "unspecified"),
                urn,
                diagnostic.message,
            )
        )
