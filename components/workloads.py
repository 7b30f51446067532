"""Every workload of a stack: namespace isolation for each namespace they use, and one Workload each.

`WorkloadsArgs.from_settings` is the one place that turns validated stack settings into component inputs
(flows by workload name become peers with their namespace), so that `__main__.py` stays wiring only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from settings.model import Slot, StackSettings, WorkloadSettings

from .network_policies import NamespaceIsolation, NamespaceIsolationArgs, Peer
from .workload import Workload, WorkloadArgs


@dataclass(frozen=True, kw_only=True)
class WorkloadsArgs:
    workloads: tuple[WorkloadArgs, ...]
    """The workloads, each with its flows resolved to namespaces."""
    namespace_outputs: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Namespace name -> the name as an output of its Namespace resource (objects wait for it).
    Default: none (namespaces already exist)."""

    @classmethod
    def from_settings(
        cls,
        stack: StackSettings,
        *,
        cluster_name: pulumi.Input[str],
        cluster_arn: pulumi.Input[str],
        oidc_provider_arn: pulumi.Input[str],
        oidc_issuer_url: pulumi.Input[str],
        namespace_outputs: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> WorkloadsArgs:
        namespaces = {w.name: w.namespace for w in stack.workloads}
        outputs = dict(namespace_outputs or {})

        def workload(w: WorkloadSettings) -> WorkloadArgs:
            return WorkloadArgs(
                name=w.name,
                namespace=w.namespace,
                namespace_output=outputs.get(w.namespace),
                port=w.port,
                images={Slot.BLUE: w.rollout.blue, Slot.GREEN: w.rollout.green},
                active=w.rollout.active,
                replicas=w.replicas,
                idle_replicas=stack.idle_replicas(w),
                allowed_registries=stack.registries,
                gate_image=stack.gate_image,
                account_id=stack.account_id,
                cluster_name=cluster_name,
                cluster_arn=cluster_arn,
                oidc_provider_arn=oidc_provider_arn,
                oidc_issuer_url=oidc_issuer_url,
                identity=w.identity,
                grants=tuple(w.access),
                permissions_boundary_arn=stack.permissions_boundary_arn,
                ingress=tuple(
                    Peer(port=f.port, workload=f.from_, namespace=namespaces.get(f.from_ or ""), cidr=f.cidr)
                    if f.from_
                    else Peer(port=f.port, cidr=f.cidr)
                    for f in w.ingress
                ),
                egress=tuple(
                    Peer(port=f.port, workload=f.to, namespace=namespaces.get(f.to or ""))
                    if f.to
                    else Peer(port=f.port, cidr=f.cidr)
                    for f in w.egress
                ),
                resources=w.resources,
                health=w.health,
                run_as_user=w.run_as_user,
                kubernetes_api_access=w.kubernetes_api_access,
            )

        return cls(workloads=tuple(workload(w) for w in stack.workloads), namespace_outputs=outputs)


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
