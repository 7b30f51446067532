"""Build the stack's resources once per AnalyzeStack call, not once per stack policy.

pulumi_policy 1.21.0's AnalyzeStack rebuilds every resource of the stack (converted properties, options,
provider, then parent and dependencies linked to the resource objects) inside its loop over stack policies:
0.8 s of 0.9 s at 2,236 resources, the rules themselves taking 0.04 s. This is the SDK's AnalyzeStack of that
version, step for step, with the resources built once and each stack policy given its own list of the shared
resource objects. It reads the servicer's name-mangled state (policies, stack tags, pack name and version)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import servicer
from .gate import Shortcut, Undo, replace, require

TESTED = {"pulumi_policy": ("1.21.0",)}
# What this AnalyzeStack reads of the SDK's module and servicer when it runs, checked when it is applied.
SDK_NAMES = (
    "json_format",
    "deserialize_properties",
    "unknown_checking_proxy",
    "proto",
    "EnforcementLevel",
    "StackValidationPolicy",
    "StackValidationArgs",
    "PolicyResource",
    "UnknownValueError",
    "_NotApplicableError",
    "isawaitable",
    "asyncio",
)
SERVICER_METHODS = (
    "_configure_runtime_settings",
    "_get_resource_options",
    "_get_provider_resource",
    "_get_enforcement_level",
    "_create_report_violation",
    "_get_policy_config",
    "_map_enforcement_level",
)


def _stack_resources(analyzer: Any, request: Any, sdk: Any) -> list[Any]:
    """The stack's resources as the SDK's AnalyzeStack builds them."""
    built: list[tuple[Any, str, list[str], dict[str, list[str]]]] = []
    for r in request.resources:
        props = sdk.unknown_checking_proxy(sdk.deserialize_properties(sdk.json_format.MessageToDict(r.properties)))
        resource = sdk.PolicyResource(
            r.type,
            props,
            r.urn,
            r.name,
            analyzer._get_resource_options(r),
            analyzer._get_provider_resource(r),
            None,
            [],
            {},
        )
        built.append(
            (
                resource,
                r.parent,
                list(r.dependencies),
                {key: list(value.urns) for key, value in r.propertyDependencies.items()},
            )
        )
    by_urn = {resource.urn: resource for resource, *_ in built}
    for resource, parent, dependencies, property_dependencies in built:
        if parent is not None and parent in by_urn:
            resource.parent = by_urn[parent]
        resource.dependencies.extend(by_urn[d] for d in dependencies if d in by_urn)
        for key, urns in property_dependencies.items():
            resource.property_dependencies[key] = [by_urn[d] for d in urns if d in by_urn]
    return [resource for resource, *_ in built]


def _analyze_stack_once(sdk: Any) -> Callable[..., Any]:
    def analyze_stack(self: Any, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = sdk.proto.AnalyzeResponse()
        resources: list[Any] | None = None
        for policy in getattr(self, servicer.POLICIES):
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == sdk.EnforcementLevel.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
                continue
            if enforcement_level == sdk.EnforcementLevel.REMEDIATE:
                enforcement_level = sdk.EnforcementLevel.MANDATORY  # as the SDK: stack policies cannot remediate
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            if resources is None:
                resources = _stack_resources(self, request, sdk)
            args = sdk.StackValidationArgs(
                list(resources), self._get_policy_config(policy.name), getattr(self, servicer.STACK_TAGS)
            )
            try:
                result = policy.validate(args, report_violation)
                if sdk.isawaitable(result):
                    loop = sdk.asyncio.new_event_loop()
                    task = sdk.asyncio.Task(result, loop=loop)
                    loop.run_until_complete(task)
                    loop.close()
            except sdk.UnknownValueError as error:
                name, version = getattr(self, servicer.PACK_NAME), getattr(self, servicer.PACK_VERSION)
                response.diagnostics.append(
                    sdk.proto.AnalyzeDiagnostic(
                        policyName=policy.name,
                        policyPackName=name,
                        policyPackVersion=version,
                        message=(
                            f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during "
                            f"preview: {error.message}"
                        ),
                        urn="",
                        description=policy.description,
                        enforcementLevel=self._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
                    )
                )
            except sdk._NotApplicableError as error:
                response.not_applicable.append(
                    sdk.proto.PolicyNotApplicable(policy_name=policy.name, reason=error.reason or "")
                )
        return response

    return analyze_stack


def apply() -> Undo:
    sdk = servicer.sdk()
    analyzer = servicer.servicer_class(
        servicer.POLICIES, servicer.STACK_TAGS, servicer.PACK_NAME, servicer.PACK_VERSION
    )
    require(sdk, *SDK_NAMES)
    require(analyzer, *SERVICER_METHODS)
    return replace((analyzer, {"AnalyzeStack": _analyze_stack_once(sdk)}))


SHORTCUT = Shortcut("stack-built-once", TESTED, apply)
