"""Rules that relate several settings: flows name real workloads, names are unique, images come from
allowed registries, prod keeps its margins. They run on the raw config as well as a valid model allows,
so that they are reported together with field-level problems."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from components.access_catalog import grant_problems
from components.deployer_identity import ENVIRONMENT_TAG
from components.namespaces import RESERVED_NAMESPACES
from components.node_group import instance_architecture
from components.pods import DIGEST_REF_RE
from components.state_backend import KMS_KEY_ARN_RE

from .errors import Problem
from .model import (
    ALLOWED_ACCOUNT_IDS,
    ALLOWED_REGISTRIES,
    CI,
    CLUSTER,
    DEFAULT_TAGS,
    ENVIRONMENT,
    REGION,
    ROLLOUT_GATE,
    RUNNER,
    WORKLOADS,
)

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
            yield Problem(
                f"{WORKLOADS}[{index}].name",
                f"workload names are unique across the stack (flows name workloads), "
                f"{name!r} is used {names[name]} times",
            )


def namespaces_not_reserved(config: dict[str, Any]) -> Iterator[Problem]:
    for index, workload in _workloads(config):
        namespace = workload.get("namespace")
        if isinstance(namespace, str) and namespace in RESERVED_NAMESPACES:
            yield Problem(
                f"{WORKLOADS}[{index}].namespace",
                f"expected an application namespace, got reserved namespace {namespace!r}",
            )


def flows_name_known_workloads(config: dict[str, Any]) -> Iterator[Problem]:
    """Every flow names a workload of the stack, on the port it listens on, and both ends declare it."""
    by_name = {w["name"]: w for _, w in _workloads(config) if isinstance(w.get("name"), str)}
    known = ", ".join(sorted(by_name)) or "none"
    for index, workload in _workloads(config):
        me = workload.get("name")
        for flow_index, flow in _dicts(workload.get("ingress")):
            path = f"{WORKLOADS}[{index}].ingress[{flow_index}]"
            source = flow.get("from")
            # A missing or invalid port is pydantic's to report; the flow's ports are checked once both are valid.
            port, own_port = _port(flow.get("port")), _port(workload.get("port"))
            if isinstance(source, str) and source not in by_name:
                yield Problem(
                    f"{path}.from", f"expected the name of a workload in this stack ({known}), got {source!r}"
                )
            elif isinstance(source, str) and port is not None and not _declares_egress(by_name[source], me, port):
                yield Problem(
                    path,
                    f"{source!r} must declare the matching egress {{to: {me}, port: {port}}}"
                    " (both ends of a flow are declared)",
                )
            if port is not None and own_port is not None and port != own_port:
                yield Problem(f"{path}.port", f"expected {me!r}'s own port {own_port}, got {port!r}")
        for flow_index, flow in _dicts(workload.get("egress")):
            path = f"{WORKLOADS}[{index}].egress[{flow_index}]"
            target = flow.get("to")
            if not isinstance(target, str):
                continue
            if target not in by_name:
                yield Problem(f"{path}.to", f"expected the name of a workload in this stack ({known}), got {target!r}")
                continue
            port, target_port = _port(flow.get("port")), _port(by_name[target].get("port"))
            if port is None or target_port is None:
                continue  # pydantic reports a missing or invalid port
            if port != target_port:
                yield Problem(f"{path}.port", f"expected {target!r}'s port {target_port}, got {port!r}")
            elif not _declares_ingress(by_name[target], me, port):
                yield Problem(
                    path,
                    f"{target!r} must declare the matching ingress {{from: {me}, port: {port}}}"
                    " (both ends of a flow are declared)",
                )


def _port(value: Any) -> int | None:
    """A port as settings accept it (an integer, not a boolean), else None: pydantic reports the value."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _declares_egress(workload: dict[str, Any], target: Any, port: Any) -> bool:
    return any(f.get("to") == target and f.get("port") == port for _, f in _dicts(workload.get("egress")))


def _declares_ingress(workload: dict[str, Any], source: Any, port: Any) -> bool:
    return any(f.get("from") == source and f.get("port") == port for _, f in _dicts(workload.get("ingress")))


def access_grants_in_catalog(config: dict[str, Any]) -> Iterator[Problem]:
    """Every `access` entry names a service and level of the access catalog, and ARNs of that service."""
    for index, workload in _workloads(config):
        for grant_index, grant in _dicts(workload.get("access")):
            path = f"{WORKLOADS}[{index}].access[{grant_index}]"
            for sub_path, message in grant_problems(grant.get("service"), grant.get("level"), grant.get("resources")):
                yield Problem(f"{path}.{sub_path}", message)


def allowed_registries(config: Mapping[str, Any]) -> list[str] | None:
    """`allowedRegistries`, else this account's ECR registry in the region; None when neither is readable."""
    allowed = config.get(ALLOWED_REGISTRIES)
    if not allowed:
        accounts = config.get(ALLOWED_ACCOUNT_IDS)
        region = config.get(REGION)
        if not (isinstance(accounts, list) and accounts and isinstance(region, str)):
            return None
        allowed = [f"{accounts[0]}.dkr.ecr.{region}.amazonaws.com"]
    return allowed if isinstance(allowed, list) else None


def registry_problem(image: Any, allowed: list[str]) -> str | None:
    """Why a digest reference comes from a registry outside `allowed` (None: allowed, or not a digest)."""
    match = DIGEST_REF_RE.match(image) if isinstance(image, str) else None
    if match and match.group("registry") not in allowed:
        return (
            f"expected an image from an allowed registry ({', '.join(allowed)}), "
            f"got one from {match.group('registry')!r}"
        )
    return None


def images_from_allowed_registries(config: dict[str, Any]) -> Iterator[Problem]:
    allowed = allowed_registries(config)
    if allowed is None:
        return
    for index, workload in _workloads(config):
        rollout = workload.get("rollout")
        if not isinstance(rollout, dict):
            continue
        for slot in ("blue", "green"):
            message = registry_problem(rollout.get(slot), allowed)
            if message:
                yield Problem(f"{WORKLOADS}[{index}].rollout.{slot}", message)
    gate = config.get(ROLLOUT_GATE)
    message = registry_problem(gate.get("image"), allowed) if isinstance(gate, dict) else None
    if message:
        yield Problem(f"{ROLLOUT_GATE}.image", message)


# --- Rollout ---------------------------------------------------------------------------------------------
GATE_REQUIRED = (
    "required when the stack declares workloads: {image: REGISTRY/REPOSITORY@sha256:<64 hex>}, "
    "the image of the health gate that smoke-tests each release before traffic moves "
    "(curl and nc on its PATH; docs/releases.md)"
)
IDLE_ABOVE_REPLICAS = "expected at most replicas ({replicas}) on the idle slot, got {idle}"
NAME_COLLIDES = (
    "{name!r} collides with the names the rollout of workload {base!r} uses ({base}-preview Service, "
    "{base}-gate ServiceAccount and gate pods): choose another name"
)
RELEASE_ONTO_LIVE = (
    "the image of the live slot {slot!r} changed: a release goes onto the idle slot "
    "({idle!r}, `nhi rollout release`), and traffic moves with `nhi rollout promote` once its "
    "gate has passed"
)
RELEASE_WITH_PROMOTE = (
    "{slot!r} becomes live and gets a new image in the same change: release onto {slot!r} "
    "first (`pulumi up` runs its gate), then promote it"
)
ROLLOUT_SUFFIXES = ("preview", "gate")


def rollout_gate_declared(config: dict[str, Any]) -> Iterator[Problem]:
    """Every rollout is gated, so the gate's image is required as soon as there is a workload to roll out."""
    if _workloads(config) and config.get(ROLLOUT_GATE) is None:
        yield Problem(ROLLOUT_GATE, GATE_REQUIRED)


def idle_replicas_within_replicas(config: dict[str, Any]) -> Iterator[Problem]:
    """An idle slot larger than the live one is a typo: the rollback target never needs more than full size."""
    for index, workload in _workloads(config):
        rollout, replicas = workload.get("rollout"), workload.get("replicas")
        idle = rollout.get("idleReplicas") if isinstance(rollout, dict) else None
        if isinstance(idle, int) and isinstance(replicas, int) and idle > replicas:
            yield Problem(
                f"{WORKLOADS}[{index}].rollout.idleReplicas", IDLE_ABOVE_REPLICAS.format(replicas=replicas, idle=idle)
            )


def rollout_names_do_not_collide(config: dict[str, Any]) -> Iterator[Problem]:
    """`X-preview` and `X-gate` belong to workload X's rollout: a workload with such a name would share its
    Service, ServiceAccount or (worse) have its NetworkPolicy select X's gate pods."""
    names = {w.get("name") for _, w in _workloads(config) if isinstance(w.get("name"), str)}
    for index, workload in _workloads(config):
        name = workload.get("name")
        if not isinstance(name, str):
            continue
        for suffix in ROLLOUT_SUFFIXES:
            base = name.removesuffix(f"-{suffix}")
            if base != name and base in names:
                yield Problem(f"{WORKLOADS}[{index}].name", NAME_COLLIDES.format(name=name, base=base))


def rollout_transition(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Problem]:
    """Problems of moving a stack from config `before` to config `after` (raw configs, paths into `after`).

    One rule: the slot that is live after the change keeps the image it had. Otherwise either the live slot
    is patched in place (a release onto the live slot) or traffic moves to an image whose gate has not run
    (a release and a promote in one step: the gate would test the preview Service while it flips away)."""
    previous = {w["name"]: w.get("rollout") for _, w in _dicts(before.get(WORKLOADS)) if isinstance(w.get("name"), str)}
    problems = []
    for index, workload in _workloads(dict(after)):
        name = workload.get("name")
        old, new = previous.get(name) if isinstance(name, str) else None, workload.get("rollout")
        if not (isinstance(old, dict) and isinstance(new, dict)):
            continue  # a new workload: nothing is live yet
        live = new.get("active")
        if live not in ("blue", "green") or old.get(live) == new.get(live):
            continue
        if old.get("active") == live:
            message = RELEASE_ONTO_LIVE.format(slot=live, idle="green" if live == "blue" else "blue")
        else:
            message = RELEASE_WITH_PROMOTE.format(slot=live)
        problems.append(Problem(f"{WORKLOADS}[{index}].rollout.{live}", message))
    return problems


def node_group_sizes(config: dict[str, Any]) -> Iterator[Problem]:
    cluster = config.get(CLUSTER)
    if not isinstance(cluster, dict):
        return
    groups = _dicts(cluster.get("nodeGroups"))
    names = Counter(g.get("name") for _, g in groups if isinstance(g.get("name"), str))
    for index, group in groups:
        path = f"{CLUSTER}.nodeGroups[{index}]"
        sizes = [
            size for size in (group.get(k) for k in ("minSize", "desiredSize", "maxSize")) if isinstance(size, int)
        ]
        if len(sizes) == 3 and not sizes[0] <= sizes[1] <= sizes[2]:
            yield Problem(path, f"expected minSize <= desiredSize <= maxSize, got {sizes[0]} / {sizes[1]} / {sizes[2]}")
        if isinstance(group.get("name"), str) and names[group.get("name")] > 1:
            yield Problem(f"{path}.name", f"node group names are unique, {group.get('name')!r} is used twice")


def prod_margins(config: dict[str, Any]) -> Iterator[Problem]:
    cluster = config.get(CLUSTER)
    if config.get(ENVIRONMENT) != "prod" or not isinstance(cluster, dict):
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
    cidrs = cluster.get("publicEndpointCidrs")
    for index, cidr in enumerate(cidrs if isinstance(cidrs, list) else []):
        try:
            network = ipaddress.ip_network(cidr)
        except (TypeError, ValueError):
            continue
        if network.version == vpc.version and network.overlaps(vpc):
            yield Problem(
                f"{CLUSTER}.publicEndpointCidrs[{index}]",
                f"expected addresses outside the VPC ({vpc}), got {cidr!r}: the VPC uses the private endpoint",
            )


def node_group_single_architecture(config: dict[str, Any]) -> Iterator[Problem]:
    """One Bottlerocket AMI type per node group: mixing Graviton and x86 instance types cannot launch."""
    cluster = config.get(CLUSTER)
    if not isinstance(cluster, dict):
        return
    for index, group in _dicts(cluster.get("nodeGroups")):
        listed = group.get("instanceTypes")
        types = [t for t in listed if isinstance(t, str)] if isinstance(listed, list) else []
        kinds = {instance_architecture(t).value for t in types}
        if len(kinds) > 1:
            yield Problem(
                f"{CLUSTER}.nodeGroups[{index}].instanceTypes",
                f"expected instance types of one architecture (one Bottlerocket AMI type per group), "
                f"got {', '.join(types)} ({' and '.join(sorted(kinds))}): split them into two groups",
            )


def kube_proxy_matches_cluster(config: dict[str, Any]) -> Iterator[Problem]:
    """kube-proxy must run the cluster's minor version; a skewed pin breaks Service routing after an upgrade."""
    cluster = config.get(CLUSTER)
    if not isinstance(cluster, dict) or not isinstance(cluster.get("addonVersions"), dict):
        return
    version, pinned = cluster.get("kubernetesVersion"), cluster["addonVersions"].get("kubeProxy")
    if isinstance(version, str) and isinstance(pinned, str) and not pinned.startswith(f"v{version}."):
        yield Problem(
            f"{CLUSTER}.addonVersions.kubeProxy",
            f"expected a kube-proxy version for Kubernetes {version} (v{version}.x-eksbuild.N), got {pinned!r}",
        )


def admin_roles_unique(config: dict[str, Any]) -> Iterator[Problem]:
    """Each admin role gets one access entry, named after the role: a repeat is a typo or a conflict."""
    cluster = config.get(CLUSTER)
    if not isinstance(cluster, dict) or not isinstance(cluster.get("adminRoleArns"), list):
        return
    names = Counter(arn.rsplit("/", 1)[-1] for arn in cluster["adminRoleArns"] if isinstance(arn, str))
    for index, arn in enumerate(cluster["adminRoleArns"]):
        if isinstance(arn, str) and names[arn.rsplit("/", 1)[-1]] > 1:
            yield Problem(
                f"{CLUSTER}.adminRoleArns[{index}]",
                f"expected each admin role name once (access entries are named after it), "
                f"got {arn.rsplit('/', 1)[-1]!r} {names[arn.rsplit('/', 1)[-1]]} times",
            )


def ci_deploys_its_own_environment(config: dict[str, Any]) -> Iterator[Problem]:
    """The deploy role trusts the GitHub environment named after the stack's: it must be in the promotion order."""
    ci, environment = config.get(CI), config.get(ENVIRONMENT)
    if not isinstance(ci, dict) or not isinstance(ci.get("environments"), list) or not isinstance(environment, str):
        return
    if environment not in ci["environments"]:
        listed = ", ".join(str(e) for e in ci["environments"]) or "none"
        yield Problem(
            f"{CI}.environments",
            f"expected this stack's environment {environment!r} among them (its deploy role trusts only the "
            f"GitHub environment of that name), got {listed}",
        )


def ci_resources_carry_their_environment(config: dict[str, Any]) -> Iterator[Problem]:
    """The pipeline's grants key on the environment tag: the provider must put it on every resource."""
    environment = config.get(ENVIRONMENT)
    if not isinstance(config.get(CI), dict) or not isinstance(environment, str):
        return
    defaults = config.get(DEFAULT_TAGS)
    tags = defaults.get("tags") if isinstance(defaults, dict) else None
    if not isinstance(tags, dict) or tags.get(ENVIRONMENT_TAG) != environment:
        got = repr(tags.get(ENVIRONMENT_TAG)) if isinstance(tags, dict) and ENVIRONMENT_TAG in tags else "nothing"
        yield Problem(
            f"{DEFAULT_TAGS}.tags",
            f"expected {{{ENVIRONMENT_TAG}: {environment}}} ({CI} is set: the pipeline creates and changes "
            f"only resources tagged with their environment), got {got}",
        )


def ci_state_key_in_this_account(config: dict[str, Any]) -> Iterator[Problem]:
    """The pipeline's roles are granted the state's key only in the stack's own account and region."""
    ci, accounts, region = config.get(CI), config.get(ALLOWED_ACCOUNT_IDS), config.get(REGION)
    backend = ci.get("stateBackend") if isinstance(ci, dict) else None
    key = backend.get("secretsKeyArn") if isinstance(backend, dict) else None
    if not isinstance(key, str) or not isinstance(accounts, list) or len(accounts) != 1 or not isinstance(region, str):
        return
    found = KMS_KEY_ARN_RE.fullmatch(key)
    if found and (found["account"], found["region"]) != (str(accounts[0]), region):
        yield Problem(
            f"{CI}.stateBackend.secretsKeyArn",
            f"expected a KMS key of this stack's account {accounts[0]} and region {region} (the pipeline's roles "
            f"are granted keys there only), got {key!r}",
        )


def runner_declares_its_repository(config: dict[str, Any]) -> Iterator[Problem]:
    """The runner serves the repository of `nhi-platform:ci`: without it no job could start it."""
    if isinstance(config.get(RUNNER), dict) and not isinstance(config.get(CI), dict):
        yield Problem(RUNNER, f"expected {CI} too: the runner serves the workflow jobs of that repository")


def runner_image_in_this_account(config: dict[str, Any]) -> Iterator[Problem]:
    """The runner pulls its image with its own role, which may pull only from this account's ECR."""
    runner, accounts = config.get(RUNNER), config.get(ALLOWED_ACCOUNT_IDS)
    if not isinstance(runner, dict) or not isinstance(runner.get("image"), str):
        return
    if not isinstance(accounts, list) or len(accounts) != 1:
        return
    if not re.match(rf"^{re.escape(str(accounts[0]))}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/", runner["image"]):
        yield Problem(
            f"{RUNNER}.image",
            f"expected an image of this account's ECR ({accounts[0]}.dkr.ecr.REGION.amazonaws.com/...@sha256:...): "
            f"the runner's role pulls only from there, got {runner['image']!r}",
        )


CHECKS: tuple[Check, ...] = (
    unique_workload_names,
    namespaces_not_reserved,
    flows_name_known_workloads,
    access_grants_in_catalog,
    images_from_allowed_registries,
    rollout_gate_declared,
    idle_replicas_within_replicas,
    rollout_names_do_not_collide,
    node_group_sizes,
    prod_margins,
    endpoint_cidrs_are_not_the_vpc,
    node_group_single_architecture,
    kube_proxy_matches_cluster,
    admin_roles_unique,
    ci_deploys_its_own_environment,
    ci_resources_carry_their_environment,
    ci_state_key_in_this_account,
    runner_declares_its_repository,
    runner_image_in_this_account,
)


def cross_check(config: dict[str, Any]) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(config)]
