"""The comparisons moto cannot feed (it has no EKS access entries or Pod Identity associations) and drift of
permissions and boundary, on hand-made declarations and live identities."""

from __future__ import annotations

from nhi.audit import checks, model
from nhi.audit.declared import Declarations, DeclaredBinding, DeclaredRole
from nhi.audit.live import LiveAccessEntry, LiveAssociation, LiveRole, RoleDetail

ACCOUNT = "arn:aws:iam::111122223333"
DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}],
}
NODE = DeclaredRole(
    "urn:node",
    "prod-core-node-role",
    "/",
    None,
    None,
    None,
    None,
    (),
    frozenset(),
    "nhi-platform:cluster (resource prod-core-node-role)",
)
CART = DeclaredRole(
    "urn:cart",
    "workloads-cart-identity-role",
    "/nhi-platform/workloads/",
    None,
    "cart-",
    None,
    None,
    (DOC,),
    frozenset({"arn:aws:iam::aws:policy/ReadOnly"}),
    "nhi-platform:workloads[2] (cart)",
    workload="cart",
)
DECLARED = Declarations(
    environment="prod",
    cluster="prod-core",
    roles=(NODE, CART),
    users=frozenset(),
    node_groups=(),
    bindings=(
        DeclaredBinding("prod-core", "shop", "cart", "urn:cart", "resource workloads-cart-identity-association"),
    ),
    access_entry_principals=frozenset({f"{ACCOUNT}:role/platform-admins"}),
)
NODE_LIVE = LiveRole(f"{ACCOUNT}:role/prod-core-node-role-1a2b3c4", "prod-core-node-role-1a2b3c4", "/", {}, {})
CART_LIVE = LiveRole(
    f"{ACCOUNT}:role/nhi-platform/workloads/cart-{'0' * 26}", f"cart-{'0' * 26}", "/nhi-platform/workloads/", {}, {}
)
OTHER = LiveRole(f"{ACCOUNT}:role/debug", "debug", "/", {}, {})
ROLES = {r.arn: r for r in (NODE_LIVE, CART_LIVE, OTHER)}


def entry(principal: str, kind: str = "STANDARD") -> LiveAccessEntry:
    return LiveAccessEntry(
        f"arn:aws:eks:eu-west-1:111122223333:access-entry/prod-core/{principal[-5:]}", "prod-core", principal, kind
    )


def test_access_entries_of_declared_admins_and_of_eks_s_node_role_are_accounted_for() -> None:
    entries = [entry(f"{ACCOUNT}:role/platform-admins"), entry(NODE_LIVE.arn, "EC2_LINUX"), entry(OTHER.arn)]
    found = checks.undeclared_access_entries(DECLARED, entries, ROLES)
    assert [(f.kind, f.arn) for f in found] == [(model.UNDECLARED_IDENTITY, entries[2].arn)]
    # The node role's entry counts only as EKS makes it (EC2_LINUX), not as a STANDARD entry given by hand.
    assert len(checks.undeclared_access_entries(DECLARED, [entry(NODE_LIVE.arn)], ROLES)) == 1


def association(namespace: str, service_account: str, role: LiveRole) -> LiveAssociation:
    return LiveAssociation(
        f"arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod-core/a-{service_account}",
        "prod-core",
        namespace,
        service_account,
        role.arn,
    )


def test_a_binding_to_another_role_is_drift_and_an_unknown_one_is_undeclared() -> None:
    assert checks.binding_drift(DECLARED, [association("shop", "cart", CART_LIVE)], ROLES) == []
    (moved,) = checks.binding_drift(DECLARED, [association("shop", "cart", OTHER)], ROLES)
    assert (moved.kind, moved.declaration) == (model.DRIFT, "resource workloads-cart-identity-association")
    (extra,) = checks.binding_drift(DECLARED, [association("shop", "debug", CART_LIVE)], ROLES)
    assert (extra.kind, extra.declaration) == (model.UNDECLARED_IDENTITY, None)


def test_permissions_and_boundary_drift_say_what_changed() -> None:
    assert checks.role_drift(CART, CART_LIVE, RoleDetail(None, (DOC,), CART.attached)) == []
    wider = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    found = checks.role_drift(
        CART,
        CART_LIVE,
        RoleDetail(
            f"{ACCOUNT}:policy/b", (DOC, wider), CART.attached | {"arn:aws:iam::aws:policy/AdministratorAccess"}
        ),
    )
    messages = sorted(f.message.split(";")[0] for f in found)
    assert messages == [
        "inline permission added: Allow iam:*",
        "managed policy arn:aws:iam::aws:policy/AdministratorAccess attached",
        f"permissions boundary is {ACCOUNT}:policy/b, declared none",
    ]
    assert {f.declaration for f in found} == {"nhi-platform:workloads[2] (cart)"}
