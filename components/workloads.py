"""Every workload of a stack: namespace isolation for each namespace they use, and one Workload each.
(`settings` builds the arguments from a stack file: `StackSettings.workloads_args`.)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from .network_policies import NamespaceIsolation, NamespaceIsolationArgs
from .workload import Workload, WorkloadArgs


@dataclass(frozen=True, kw_only=True)
class WorkloadsArgs:
    workloads: tuple[WorkloadArgs, ...]
    """The workloads, each with its flows resolved to namespaces."""
    namespace_outputs: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Namespace name -> the name as an output of its Namespace resource (objects wait for it).
    Default: none (namespaces already exist)."""


class Workloads(pulumi.ComponentResource):
    """Namespace isolation and workloads. Pass the Kubernetes provider in `opts.providers`."""

    workloads: dict[str, Workload]
    role_arns: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: WorkloadsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:workloads:Workloads", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        for namespace in sorted({w.namespace for w in args.workloads}):
            NamespaceIsolation(
                f"{name}-ns-{namespace}",
                NamespaceIsolationArgs(namespace=namespace, namespace_output=args.namespace_outputs.get(namespace)),
                opts=child,
            )
        self.workloads = {w.name: Workload(f"{name}-{w.name}", w, opts=child) for w in args.workloads}
        self.role_arns = pulumi.Output.all(**{n: w.role_arn for n, w in self.workloads.items()})
        self.register_outputs({"role_arns": self.role_arns})
