"""Rules that relate several settings: flows name real workloads, names are unique, images come from
allowed registries, prod keeps its margins. They run on the raw config as well as a valid model allows,
so that they are reported together with field-level problems."""

from __future__ import annotations

import ipaddress
from collections import Counter
from typing import Any, Callable, Iterator

from .errors import Problem
from .model import DIGEST_REF_RE, PROJECT, Environment, ci_role_arn, ci_role_names

WORKLOADS = f"{PROJECT}:workloads"
CLUSTER = f"{PROJECT}:cluster"
CI = f"{PROJECT}:ci"
RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

Check = Callable[[dict[str, Any]], Iterator[Problem]]


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def _workloads(config: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return _dicts(config.get(WORKLOADS))


def unique_workload_names(config: dict[str, Any]) -> Iterator[Problem]:
    names = Counter(w.get("name") for _, w in _workloads(config) if isinstance(w.get("name"), str))
    for index, workload in _workloads(config):
        name = workload.get("name")
        if isinstance(name, str) and names[name] > 1:
            yield Problem(f"{WORKLOADS}[{index}].name",
                          f"workload names are unique across the stack (flows name workloads), "
                          f"{name!r} is used {names[name]} times")


def namespaces_not_reserved(config: dict[str, Any]) -> Iterator[Problem]:
    for index, workload in _workloads(config):
        namespace = workload.get("namespace")
        if namespace in RESERVED_NAMESPACES:
            yield Problem(f"{WORKLOADS}[{index}].namespace",
                          f"expected an application namespace, got reserved namespace {namespace!r}")


def flows_name_known_workloads(config: dict[str, Any]) -> Iterator[Problem]:
    """Every flow names a workload of the stack, on the port it listens on, and both ends declare it."""
    by_name = {w["name"]: w for _, w in _workloads(config) if isinstance(w.get("name"), str)}
    known = ", ".join(sorted(by_name)) or "none"
    for index, workload in _workloads(config):
        me = workload.get("name")
        for flow_index, flow in _dicts(workload.get("ingress")):
            path = f"{WORKLOADS}[{index}].ingress[{flow_index}]"
            source = flow.get("from")
            if isinstance(source, str) and source not in by_name:
                yield Problem(f"{path}.from", f"expected the name of a workload in this stack ({known}), got {source!r}")
            elif isinstance(source, str) and not _declares_egress(by_name[source], me, flow.get("port")):
                yield Problem(path, f"{source!r} must declare the matching egress {{to: {me}, port: {flow.get('port')}}}"
                                    " (both ends of a flow are declared)")
            if flow.get("port") is not None and workload.get("port") is not None and flow.get("port") != workload.get("port"):
                yield Problem(f"{path}.port",
                              f"expected {me!r}'s own port {workload.get('port')}, got {flow.get('port')!r}")
        for flow_index, flow in _dicts(workload.get("egress")):
            path = f"{WORKLOADS}[{index}].egress[{flow_index}]"
            target = flow.get("to")
            if not isinstance(target, str):
                continue
            if target not in by_name:
                yield Problem(f"{path}.to", f"expected the name of a workload in this stack ({known}), got {target!r}")
                continue
            target_port = by_name[target].get("port")
            if flow.get("port") != target_port:
                yield Problem(f"{path}.port", f"expected {target!r}'s port {target_port}, got {flow.get('port')!r}")
            elif not _declares_ingress(by_name[target], me, flow.get("port")):
                yield Problem(path, f"{target!r} must declare the matching ingress {{from: {me}, port: {flow.get('port')}}}"
                                    " (both ends of a flow are declared)")


def _declares_egress(workload: dict[str, Any], target: Any, port: Any) -> bool:
    return any(f.get("to") == target and f.get("port") == port for _, f in _dicts(workload.get("egress")))


def _declares_ingress(workload: dict[str, Any], source: Any, port: Any) -> bool:
    return any(f.get("from") == source and f.get("port") == port for _, f in _dicts(workload.get("ingress")))


def images_from_allowed_registries(config: dict[str, Any]) -> Iterator[Problem]:
    allowed = config.get(f"{PROJECT}:allowedRegistries")
    if not allowed:
        accounts = config.get("aws:allowedAccountIds")
        region = config.get("aws:region")
        if not (isinstance(accounts, list) and accounts and isinstance(region, str)):
            return
        allowed = [f"{accounts[0]}.dkr.ecr.{region}.amazonaws.com"]
    if not isinstance(allowed, list):
        return
    for index, workload in _workloads(config):
        rollout = workload.get("rollout")
        if not isinstance(rollout, dict):
            continue
        for slot in ("blue", "green"):
            match = DIGEST_REF_RE.match(rollout.get(slot) or "") if isinstance(rollout.get(slot), str) else None
            if match and match.group("registry") not in allowed:
                yield Problem(f"{WORKLOADS}[{index}].rollout.{slot}",
                              f"expected an image from an allowed registry ({', '.join(allowed)}), "
                              f"got one from {match.group('registry')!r}")


def node_group_sizes(config: dict[str, Any]) -> Iterator[Problem]:
    cluster = config.get(CLUSTER)
    if not isinstance(cluster, dict):
        return
    groups = _dicts(cluster.get("nodeGroups"))
    names = Counter(g.get("name") for _, g in groups)
    for index, group in groups:
        path = f"{CLUSTER}.nodeGroups[{index}]"
        sizes = [group.get(k) for k in ("minSize", "desiredSize", "maxSize")]
        if all(isinstance(s, int) for s in sizes) and not sizes[0] <= sizes[1] <= sizes[2]:
            yield Problem(path, f"expected minSize <= desiredSize <= maxSize, got {sizes[0]} / {sizes[1]} / {sizes[2]}")
        if isinstance(group.get("name"), str) and names[group.get("name")] > 1:
            yield Problem(f"{path}.name", f"node group names are unique, {group.get('name')!r} is used twice")


def prod_margins(config: dict[str, Any]) -> Iterator[Problem]:
    cluster = config.get(CLUSTER)
    if config.get(f"{PROJECT}:environment") != "prod" or not isinstance(cluster, dict):
        return
    zones = cluster.get("availabilityZones")
    if isinstance(zones, int) and zones < 3:
        yield Problem(f"{CLUSTER}.availabilityZones", f"expected at least 3 in prod, got {zones}")
    if cluster.get("detectiveControls") is False:
        yield Problem(f"{CLUSTER}.detectiveControls", "expected true in prod (GuardDuty EKS protection), got False")


def endpoint_cidrs_are_not_the_vpc(config: dict[str, Any]) -> Iterator[Problem]:
    """The public endpoint allow-list is for addresses outside AWS; the VPC reaches the private endpoint."""
    cluster = config.get(CLUSTER)
    if not isinstance(cluster, dict) or not isinstance(cluster.get("vpcCidr"), str):
        return
    try:
        vpc = ipaddress.ip_network(cluster["vpcCidr"])
    except ValueError:
        return
    for index, cidr in enumerate(cluster.get("publicEndpointCidrs") or []):
        try:
            network = ipaddress.ip_network(cidr)
        except (TypeError, ValueError):
            continue
        if network.version == vpc.version and network.overlaps(vpc):
            yield Problem(f"{CLUSTER}.publicEndpointCidrs[{index}]",
                          f"expected addresses outside the VPC ({vpc}), got {cidr!r}: the VPC uses the private endpoint")


def ci_deploys_its_own_environment(config: dict[str, Any]) -> Iterator[Problem]:
    """The deploy role trusts the GitHub environment named after the stack's: it must be in the promotion order."""
    ci, environment = config.get(CI), config.get(f"{PROJECT}:environment")
    if not isinstance(ci, dict) or not isinstance(ci.get("environments"), list) or not isinstance(environment, str):
        return
    if environment not in ci["environments"]:
        listed = ", ".join(str(e) for e in ci["environments"]) or "none"
        yield Problem(f"{CI}.environments",
                      f"expected this stack's environment {environment!r} among them (its deploy role trusts only the "
                      f"GitHub environment of that name), got {listed}")


def ci_deploy_role_is_cluster_admin(config: dict[str, Any]) -> Iterator[Problem]:
    """The pipeline applies the Kubernetes objects too: its deploy role needs an access entry on the cluster."""
    ci, cluster = config.get(CI), config.get(CLUSTER)
    environment, region = config.get(f"{PROJECT}:environment"), config.get("aws:region")
    accounts = config.get("aws:allowedAccountIds")
    if not (isinstance(ci, dict) and isinstance(cluster, dict) and isinstance(cluster.get("adminRoleArns"), list)
            and isinstance(environment, str) and isinstance(region, str) and isinstance(accounts, list) and accounts):
        return
    try:
        deploy_name, _ = ci_role_names(Environment(environment))
    except ValueError:
        return  # the environment itself is reported by the model
    deploy_role = ci_role_arn(region=region, account_id=str(accounts[0]), name=deploy_name)
    if deploy_role not in cluster["adminRoleArns"]:
        yield Problem(f"{CLUSTER}.adminRoleArns",
                      f"expected the pipeline's deploy role {deploy_role} among them ({CI} is set, and `pulumi up` "
                      "in CI applies the Kubernetes objects through that role)")


CHECKS: tuple[Check, ...] = (
    unique_workload_names,
    namespaces_not_reserved,
    flows_name_known_workloads,
    images_from_allowed_registries,
    node_group_sizes,
    prod_margins,
    endpoint_cidrs_are_not_the_vpc,
    ci_deploys_its_own_environment,
    ci_deploy_role_is_cluster_admin,
)


def cross_check(config: dict[str, Any]) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(config)]
