"""Run a policy pack the way the Pulumi engine does: start it as its own process, read the port it prints,
and speak the Analyzer gRPC protocol: GetAnalyzerInfo, Configure, ConfigureStack, Analyze for every
resource, AnalyzeStack once."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from .capture import Capture, CapturedResource
from .errors import PreflightError
from .pack_config import PolicyPackConfig, level_name, resolve_policy_config
from .program import StackConfig

# The SDK's message when a policy touched an unknown value (pulumi_policy's UnknownValueError path).
CANNOT_RUN_PREFIX = "can't run policy"
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


class PackProcess:
    """A policy pack process: started like the engine starts analyzer plugins, stopped on exit."""

    def __init__(self, directory: Path, environment: dict[str, str], startup_timeout: float) -> None:
        self.directory = directory.resolve()
        if not (self.directory / "__main__.py").is_file() and not (self.directory / "PulumiPolicy.yaml").is_file():
            raise PreflightError(f"{self.directory} is not a policy pack: no PulumiPolicy.yaml or __main__.py in it.")
        self.environment = environment
        self.startup_timeout = startup_timeout
        self.stderr = tempfile.TemporaryFile()
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: grpc.Channel | None = None

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
                candidate = (self.directory / venv / "bin" / "python")
                if candidate.is_file():
                    return str(candidate)
        return sys.executable

    def start(self) -> analyzer_pb2_grpc.AnalyzerStub:
        self.process = subprocess.Popen(
            [self.python(), "-u", "__main__.py"], cwd=self.directory, env=self.environment,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr,
        )
        port = self._read_port()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        try:
            grpc.channel_ready_future(self.channel).result(timeout=self.startup_timeout)
        except grpc.FutureTimeoutError:
            raise self.failure(f"printed port {port} but accepted no connection") from None
        return analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def _read_port(self) -> int:
        assert self.process is not None and self.process.stdout is not None
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
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
        tail = self.stderr_tail()
        detail = f"\nIts error output ends with:\n{tail}" if tail else ""
        return PreflightError(f"Policy pack {self.directory} {what}.{detail}")

    def stderr_tail(self, lines: int = 12) -> str:
        self.stderr.seek(0)
        text = self.stderr.read().decode(errors="replace").strip().splitlines()
        return "\n".join(text[-lines:])

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
        warnings.append(f"the stack config ({len(encoded.encode()) // 1024} KiB) is too large for the packs' "
                        "PULUMI_CONFIG environment variable; packs receive it through ConfigureStack only")
    env.update({
        "PULUMI_CONFIG_SECRET_KEYS": json.dumps(list(config.secret_keys)),
        "PULUMI_PROJECT": project,
        "PULUMI_STACK": config.name,
        "PULUMI_DRY_RUN": "true",
        "PULUMI_ORGANIZATION": "organization",
    })
    return env, warnings


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def _options(resource: CapturedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    options = resource.options
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(options.get("protect")),
        ignoreChanges=options.get("ignoreChanges", []),
        deleteBeforeReplace=bool(options.get("deleteBeforeReplace")),
        deleteBeforeReplaceDefined="deleteBeforeReplace" in options,
        additionalSecretOutputs=options.get("additionalSecretOutputs", []),
        aliases=[a for a in options.get("aliases", []) if a],
        parent=resource.parent or "",
    )


class _Analysis:
    """One pack's conversation with the engine's requests for one capture."""

    def __init__(self, stub: analyzer_pb2_grpc.AnalyzerStub | None, capture: Capture | None,
                 directory: Path) -> None:
        self.stub = stub
        self.capture = capture
        self.directory = directory
        self.by_urn: dict[str, CapturedResource] = capture.by_urn() if capture else {}

    def add(self, resource: CapturedResource) -> None:
        """Know a resource as it arrives (providers arrive before the resources that use them)."""
        self.by_urn[resource.urn] = resource

    def _provider(self, resource: CapturedResource) -> analyzer_pb2.AnalyzerProviderResource | None:
        provider = self.by_urn.get(resource.provider_urn or "")
        if provider is None:
            return None
        return analyzer_pb2.AnalyzerProviderResource(type=provider.type, properties=_struct(provider.inputs),
                                                     urn=provider.urn, name=provider.name)

    def analyze_request(self, resource: CapturedResource) -> analyzer_pb2.AnalyzeRequest:
        return analyzer_pb2.AnalyzeRequest(type=resource.type, properties=_struct(resource.inputs), urn=resource.urn,
                                           name=resource.name, options=_options(resource),
                                           provider=self._provider(resource))

    def stack_request(self, capture: Capture | None = None) -> analyzer_pb2.AnalyzeStackRequest:
        resources = []
        for resource in (capture or self.capture).resources:  # type: ignore[union-attr]
            resources.append(analyzer_pb2.AnalyzerResource(
                type=resource.type, properties=_struct(resource.outputs), urn=resource.urn, name=resource.name,
                options=_options(resource), provider=self._provider(resource), parent=resource.parent or "",
                dependencies=list(resource.dependencies),
                propertyDependencies={key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
                                      for key, urns in resource.property_dependencies.items()},
            ))
        return analyzer_pb2.AnalyzeStackRequest(resources=resources)


def _call(what: str, pack: PackProcess, method: Any, request: Any = None) -> Any:
    try:
        return method(request, timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        crashed = pack.process is not None and pack.process.poll() is not None
        status = f"exited with status {pack.process.returncode}" if crashed else "failed"
        raise pack.failure(f"{status} during {what}: {error.code().name}: {error.details()}") from None


class StartedPack:
    """A pack process that is up and configured, waiting for resources. Started before the program runs,
    so that its start-up (and its own warm-up) overlap the program's."""

    def __init__(self, directory: Path, project: str, config: StackConfig, pack_config: PolicyPackConfig | None,
                 startup_timeout: float = 30.0) -> None:
        environment, self.warnings = pack_environment(project, config)
        self.process = PackProcess(directory, environment, startup_timeout)
        started = time.perf_counter()
        try:
            self.stub = self.process.start()
            self.start_seconds = time.perf_counter() - started
            info = _call("GetAnalyzerInfo", self.process, self.stub.GetAnalyzerInfo, empty_pb2.Empty())
            self.policy_config = resolve_policy_config(info, pack_config, self.process.directory)
            _call("Configure", self.process, self.stub.Configure, analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
                name: analyzer_pb2.PolicyConfig(enforcementLevel=entry.level, properties=_struct(entry.properties))
                for name, entry in self.policy_config.items()}))
            _configure_stack(self.stub, project, config)
        except BaseException:
            self.process.stop()
            raise
        self.info = info

    def stream(self) -> "PackStream":
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

    Each call is started with gRPC's future API from the thread that registered the resource: gRPC's core
    carries it without holding the GIL, so the pack works on the other core while the program runs (a pool
    of blocking calls here got ~10% of its requests answered before the program ended)."""

    def __init__(self, pack: StartedPack) -> None:
        self.pack = pack
        self.analysis = _Analysis(pack.stub, None, pack.process.directory)
        self.pending: list[tuple[CapturedResource, Any]] = []
        self._lock = threading.Lock()

    def submit(self, resource: CapturedResource) -> None:
        self.analysis.add(resource)
        call = self.pack.stub.Analyze.future(self.analysis.analyze_request(resource), timeout=CALL_TIMEOUT_SECONDS)
        with self._lock:
            self.pending.append((resource, call))

    def finish(self, capture: Capture) -> PackResult:
        """Collect every Analyze answer, then run AnalyzeStack on the whole capture. Raises PreflightError."""
        pack, info = self.pack, self.pack.info
        finishing = time.perf_counter()
        result = PackResult(
            name=info.name, version=info.version or "0.0.0", directory=pack.process.directory,
            start_seconds=pack.start_seconds,
            policies=[PolicyInfo(p.name, p.description, level_name(pack.policy_config[p.name].level),
                                 SEVERITIES.get(p.severity, "unspecified"), tuple(p.tags), p.remediation_steps,
                                 p.framework.name) for p in info.policies],
            warnings=[f"pack {info.name}: {w}" for w in pack.warnings],
        )
        try:
            with self._lock:
                pending = list(self.pending)
            for resource, call in pending:
                _collect(result, _call(f"Analyze of {resource.urn}", pack.process, lambda *_, **__: call.result()),
                         default_urn=resource.urn)
            stack = _call("AnalyzeStack", pack.process, pack.stub.AnalyzeStack, self.analysis.stack_request(capture))
            _collect(result, stack, default_urn="")
        finally:
            self.cancel()
        result.analyze_seconds = time.perf_counter() - finishing
        return result

    def cancel(self) -> None:
        with self._lock:
            pending = list(self.pending)
        for _, call in pending:
            call.cancel()


def _configure_stack(stub: analyzer_pb2_grpc.AnalyzerStub, project: str, config: StackConfig) -> None:
    request = analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=config.name, project=project, organization="organization", dry_run=True,
        config=config.values, config_secret_keys=list(config.secret_keys))
    try:
        stub.ConfigureStack(request, timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.UNIMPLEMENTED:  # older packs do not have it, as with the engine
            raise


def _collect(result: PackResult, response: analyzer_pb2.AnalyzeResponse, default_urn: str) -> None:
    levels = {p.name: p.enforcement_level for p in result.policies}
    for diagnostic in response.diagnostics:
        urn = diagnostic.urn or default_urn
        if diagnostic.message.startswith(CANNOT_RUN_PREFIX):
            result.not_run.append(NotRun(result.name, diagnostic.policyName, urn, diagnostic.message))
            continue
        level = level_name(diagnostic.enforcementLevel) or levels.get(diagnostic.policyName, "advisory")
        result.diagnostics.append(Diagnostic(result.name, diagnostic.policyName, level,
                                             SEVERITIES.get(diagnostic.severity, "unspecified"), urn,
                                             diagnostic.message))
