"""The inventory of the prod stack, row by row against what the capture holds (the resources' own
properties: policy documents, trust policies, NetworkPolicies, Deployments), never against settings."""

from __future__ import annotations

import json
from functools import lru_cache

import pytest

from nhi.inventory import formats
from nhi.inventory.build import build
from nhi.inventory.model import ACCESS_ENTRY, IAM_ROLE, SERVICE_ACCOUNT, Identity, Inventory
from nhi.preflight.capture import Capture
from nhi.preflight.manifests import manifest
from tests.conftest import capture_stack, stack_file_config

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SERVICE_ACCOUNT_TYPE = "kubernetes:core/v1:ServiceAccount"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


@lru_cache(maxsize=1)
def prod() -> tuple[Capture, Inventory]:
    capture = capture_stack("prod")
    return capture, build(capture)


def identity(inventory: Inventory, kind: str, name: str) -> Identity:
    return next(i for i in inventory.identities if i.kind == kind and i.name == name)


def capture_policy_pairs(capture: Capture, role_name: str) -> set[tuple[str, str]]:
    """(action, resource) of the inline policies the capture attaches to a role, read from the documents."""
    pairs = set()
    for policy in capture.of_type(ROLE_POLICY):
        if any(dep.endswith(f"::{role_name}") for dep in policy.property_dependencies.get("role", ())):
            for statement in json.loads(policy.inputs["policy"])["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                resources = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
                pairs |= {(a, r) for a in actions for r in resources}
    return pairs


def test_one_row_per_role_and_service_account_of_the_capture() -> None:
    capture, inventory = prod()
    roles = {r.name for r in capture.of_type(ROLE)}
    accounts = {
        f"{m['metadata']['namespace']}/{m['metadata']['name']}"
        for m in map(manifest, capture.of_type(SERVICE_ACCOUNT_TYPE))
    }
    assert {i.name for i in inventory.identities if i.kind == IAM_ROLE} == roles
    # The add-on's service account is not a resource of the stack, but its Pod Identity binding names it.
    assert {i.name for i in inventory.identities if i.kind == SERVICE_ACCOUNT} == accounts | {"kube-system/aws-node"}
    # One access entry per admin role of the stack file (the platform admins, and CI's deploy role).
    admins = {arn.rsplit("/", 1)[-1] for arn in stack_file_config("prod")["nhi-platform:cluster"]["adminRoleArns"]}
    assert {i.name for i in inventory.identities if i.kind == ACCESS_ENTRY} == {f"prod-core: {a}" for a in admins}
    assert "platform-admins" in admins


def test_every_workload_roles_grants_are_its_policy_documents() -> None:
    capture, inventory = prod()
    workload_roles = [i for i in inventory.identities if i.kind == IAM_ROLE and i.category == "workload"]
    assert {r.name for r in workload_roles} == {
        f"workloads-{w}-identity-role"
        for w in (
            "gateway",
            "catalog",
            "cart",
            "checkout",
            "orders",
            "inventory",
            "payments",
            "ledger",
            "fraud",
            "accounts",
            "auth",
            "notifier",
            "mailer",
            "reporting",
        )
    }
    for role in workload_roles:
        assert {g.key for g in role.grants} == capture_policy_pairs(capture, role.name), role.name


def test_an_identity_with_write_access_shows_as_such_and_a_read_only_one_does_not() -> None:
    _, inventory = prod()
    cart = identity(inventory, IAM_ROLE, "workloads-cart-identity-role")
    table = "arn:aws:dynamodb:eu-west-1:111122223333:table/prod-carts"
    assert cart.can_write
    assert {g.action for g in cart.grants if g.level == "Write" and g.resource == table} == {
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    }
    assert cart.levels_by_service() == {"dynamodb": ("Read", "Write")}
    assert formats.row(cart)["CAN DO"] == ["dynamodb: Read, Write"]

    catalog = identity(inventory, IAM_ROLE, "workloads-catalog-identity-role")
    assert not catalog.can_write
    assert catalog.levels_by_service() == {"dynamodb": ("Read",), "s3": ("List", "Read")}
    gateway = identity(inventory, IAM_ROLE, "workloads-gateway-identity-role")
    assert gateway.grants == () and formats.row(gateway)["CAN DO"] == ["nothing"]


def test_a_workload_with_no_egress_shows_none_and_one_with_egress_shows_its_peers() -> None:
    capture, inventory = prod()
    flows = {m["metadata"]["name"]: m["spec"] for m in map(manifest, capture.of_type(NETWORK_POLICY))}
    silent = {
        name.removesuffix("-flows")
        for name, spec in flows.items()
        if name.endswith("-flows") and not spec.get("egress")
    }
    assert silent == {"catalog", "cart", "inventory", "ledger", "fraud", "auth"}
    for account in (i for i in inventory.identities if i.kind == SERVICE_ACCOUNT and i.workloads):
        name = account.name.split("/")[1]
        reaches = formats.row(account)["REACHES"]
        if name in silent:
            assert [f for f in account.egress if not f.is_dns] == [], account.name
            assert reaches == ["none (DNS only)"], account.name
        else:
            assert reaches[0] != "none (DNS only)", account.name
    checkout = identity(inventory, SERVICE_ACCOUNT, "shop/checkout")
    assert {(f.peer, f.port) for f in checkout.egress if not f.is_dns} == {
        ("shop/cart", "8080"),
        ("payments/payments", "8080"),
        ("shop/orders", "8080"),
        ("identity/accounts", "8080"),
    }
    assert {(f.peer, f.protocol) for f in checkout.egress if f.is_dns} == {
        ("kube-system/{k8s-app=kube-dns}", "UDP"),
        ("kube-system/{k8s-app=kube-dns}", "TCP"),
    }


def test_who_can_reach_whom_including_address_ranges() -> None:
    _, inventory = prod()
    gateway = identity(inventory, SERVICE_ACCOUNT, "edge/gateway")
    # The load balancer's range, and the rollout's health gate (which probes the idle slot before a promote).
    assert {(f.peer_kind, f.peer, f.port) for f in gateway.ingress} == {
        ("cidr", "10.40.0.0/16", "8080"),
        ("identity", "edge/gateway-gate", "8080"),
    }
    ledger = identity(inventory, SERVICE_ACCOUNT, "payments/ledger")
    assert {f.peer for f in ledger.ingress} == {"payments/payments", "data/reporting", "payments/ledger-gate"}
    gate = identity(inventory, SERVICE_ACCOUNT, "payments/ledger-gate")
    assert {(f.peer, f.port) for f in gate.egress if not f.is_dns} == {("payments/ledger", "5432")}
    assert gate.ingress == () and gate.bindings == ()  # the gate reaches its workload only, and holds no role
    notifier = identity(inventory, SERVICE_ACCOUNT, "notifications/notifier")
    assert {f.peer for f in notifier.ingress} == {"notifications/notifier-gate"}
    mailer = identity(inventory, IAM_ROLE, "workloads-mailer-identity-role")  # the role inherits its pods' reach
    assert {(f.peer_kind, f.peer, f.port) for f in mailer.egress if not f.is_dns} == {("cidr", "10.40.0.0/16", "443")}


def test_trust_and_bindings_of_pod_identity_irsa_node_add_on_and_admin_identities() -> None:
    _, inventory = prod()
    cart = identity(inventory, IAM_ROLE, "workloads-cart-identity-role")
    assert {(p.kind, p.value, p.subject) for p in cart.trusted} == {("Service", "pods.eks.amazonaws.com", "shop/cart")}
    ledger = identity(inventory, IAM_ROLE, "workloads-ledger-identity-role")
    assert {(p.kind, p.subject) for p in ledger.trusted} == {("Federated", "payments/ledger")}
    assert {(b.mechanism, b.subject) for b in ledger.bindings} == {("irsa", "payments/ledger")}
    node = identity(inventory, IAM_ROLE, "prod-core-node-role")
    assert node.category == "node"
    assert {p.value for p in node.trusted} == {"ec2.amazonaws.com"}
    assert set(node.managed_policies) == {"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"}
    cni = identity(inventory, IAM_ROLE, "prod-core-bootstrap-addons-vpc-cni-role")
    assert cni.category == "add-on" and {b.subject for b in cni.bindings} == {"kube-system/aws-node"}
    admin = identity(inventory, ACCESS_ENTRY, "prod-core: platform-admins")
    assert admin.category == "admin"
    assert {(a.policy, a.scope) for a in admin.cluster_access} == {("AmazonEKSClusterAdminPolicy", "cluster")}


def test_credentials_are_short_lived_and_images_are_the_deployments_digests() -> None:
    capture, inventory = prod()
    roles = [i for i in inventory.identities if i.kind == IAM_ROLE]
    assert {(r.credential.type, r.credential.max_session_seconds, r.credential.static) for r in roles} == {
        ("sts", 3600, False)
    }
    assert not any(i.credential.static for i in inventory.identities)
    # Workload pods run in Deployments, the rollout's health gate in Jobs.
    templates = list(map(manifest, capture.of_type(DEPLOYMENT) + capture.of_type("kubernetes:batch/v1:Job")))
    assert any(t["kind"] == "Job" for t in templates)
    for account in (i for i in inventory.identities if i.kind == SERVICE_ACCOUNT and i.workloads):
        namespace, name = account.name.split("/")
        expected = {
            c["image"]
            for d in templates
            if d["metadata"]["namespace"] == namespace and d["spec"]["template"]["spec"]["serviceAccountName"] == name
            for c in d["spec"]["template"]["spec"]["containers"]
        }
        assert set(account.images) == expected and all("@sha256:" in i for i in expected), account.name
        assert account.credential.type == "none"  # automountServiceAccountToken: false


@pytest.mark.parametrize("fmt", ["json", "markdown", "table"])
def test_every_format_lists_every_identity(fmt: str) -> None:
    _, inventory = prod()
    if fmt == "json":
        data = json.loads(formats.to_json(inventory))
        assert {i["id"] for i in data["identities"]} == {i.id for i in inventory.identities}
        cart = next(i for i in data["identities"] if i["name"] == "workloads-cart-identity-role")
        assert {"dynamodb:PutItem"} <= {g["action"] for g in cart["grants"] if g["level"] == "Write"}
        return
    text = formats.to_markdown(inventory) if fmt == "markdown" else formats.to_table(inventory)
    for found in inventory.identities:
        assert found.name in text, found.name
    if fmt == "markdown":
        assert (
            "| workloads-cart-identity-role | Allow | dynamodb | Write | BatchWriteItem, DeleteItem, PutItem, "
            "UpdateItem | arn:aws:dynamodb:eu-west-1:111122223333:table/prod-carts |" in text
        )
