"""The cluster as the engine sees it in the preflight of every stack: endpoint, encryption, logs,
authentication, identity plumbing and detective controls, checked on the captured camelCase inputs."""

from __future__ import annotations

import json

import pytest

import settings
from components.cluster import CLUSTER_ADMIN_POLICY, CONTROL_PLANE_LOG_TYPES
from nhi.preflight.capture import Capture
from tests.components.cluster_queries import ATTACHMENT, CLUSTER, KEY, LOG_GROUP, ROLE, by_output, one, policies_of


def test_the_api_endpoint_is_private_only(capture: Capture) -> None:
    vpc_config = one(capture, CLUSTER).inputs["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc_config


def test_the_cluster_runs_in_the_private_subnets(capture: Capture) -> None:
    private = {s.outputs["id"] for s in capture.of_type("aws:ec2/subnet:Subnet") if "-private-" in s.name}
    assert private and set(one(capture, CLUSTER).inputs["vpcConfig"]["subnetIds"]) == private


def test_secrets_are_envelope_encrypted_with_a_rotated_customer_key(capture: Capture) -> None:
    encryption = one(capture, CLUSTER).inputs["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    key = by_output(capture, KEY, "arn", encryption["provider"]["keyArn"])
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["tags"]["nhi-platform/key-use"] == "kubernetes-secrets"


def test_every_kms_key_rotates(capture: Capture) -> None:
    keys = capture.of_type(KEY)
    assert {k.inputs["tags"]["nhi-platform/key-use"] for k in keys} == {
        "kubernetes-secrets",
        "logs",
        "node-volumes",
        "images",
    }
    assert all(k.inputs["enableKeyRotation"] is True and k.inputs["deletionWindowInDays"] == 30 for k in keys)


def test_the_logs_key_admits_cloudwatch_logs_of_this_account_only(
    declared: settings.StackSettings, capture: Capture
) -> None:
    key = next(k for k in capture.of_type(KEY) if k.inputs["tags"]["nhi-platform/key-use"] == "logs")
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    logs = statements["CloudWatchLogsOfThisAccount"]
    assert logs["Principal"] == {"Service": f"logs.{declared.region}.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        f"arn:aws:logs:{declared.region}:{declared.account_id}:log-group:*"
    )


def test_all_five_control_plane_log_types_go_to_an_encrypted_group_with_retention(
    declared: settings.StackSettings, capture: Capture
) -> None:
    cluster = one(capture, CLUSTER)
    assert (
        set(cluster.inputs["enabledClusterLogTypes"])
        == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
        == set(CONTROL_PLANE_LOG_TYPES)
    )
    group = next(
        g for g in capture.of_type(LOG_GROUP) if g.inputs["name"] == f"/aws/eks/{declared.cluster.name}/cluster"
    )
    assert group.inputs["retentionInDays"] == declared.log_retention_days
    logs_key = by_output(capture, KEY, "arn", group.inputs["kmsKeyId"])
    assert logs_key.inputs["tags"]["nhi-platform/key-use"] == "logs"
    # The group exists before the cluster, or EKS creates its own, unencrypted and kept forever.
    assert group.urn in cluster.dependencies


def test_retention_follows_the_environment(stack: str, capture: Capture) -> None:
    retention = {g.inputs["retentionInDays"] for g in capture.of_type(LOG_GROUP)}
    assert retention == {365 if stack == "prod" else 90}


def test_authentication_is_api_only_without_creator_admin(capture: Capture) -> None:
    cluster = one(capture, CLUSTER)
    assert cluster.inputs["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }
    # No unmanaged aws-node/kube-proxy/CoreDNS: all add-ons are the pinned, managed ones.
    assert cluster.inputs["bootstrapSelfManagedAddons"] is False


def test_admin_roles_get_access_entries_with_cluster_admin(declared: settings.StackSettings, capture: Capture) -> None:
    entries = capture.of_type("aws:eks/accessEntry:AccessEntry")
    associations = capture.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert {e.inputs["principalArn"] for e in entries} == set(declared.cluster.admin_role_arns)
    assert {a.inputs["principalArn"] for a in associations} == set(declared.cluster.admin_role_arns)
    for association in associations:
        assert association.inputs["policyArn"] == f"arn:aws:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}"
        assert association.inputs["accessScope"] == {"type": "cluster"}
        assert association.inputs["clusterName"] == declared.cluster.name


def test_version_is_pinned_and_support_standard(declared: settings.StackSettings, capture: Capture) -> None:
    cluster = one(capture, CLUSTER)
    assert cluster.inputs["version"] == declared.cluster.kubernetes_version
    assert cluster.inputs["upgradePolicy"] == {"supportType": "STANDARD"}


def test_deletion_protection_in_prod_only(stack: str, capture: Capture) -> None:
    assert one(capture, CLUSTER).inputs["deletionProtection"] is (stack == "prod")


def test_the_oidc_provider_trusts_the_cluster_issuer_for_sts(capture: Capture) -> None:
    cluster = one(capture, CLUSTER)
    provider = one(capture, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    issuer = cluster.outputs["identities"][0]["oidcs"][0]["issuer"]
    assert issuer.startswith("https://") and provider.inputs["url"] == issuer
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_the_control_plane_role_trusts_eks_and_holds_the_cluster_policy(capture: Capture) -> None:
    role = by_output(capture, ROLE, "arn", one(capture, CLUSTER).inputs["roleArn"])
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "eks.amazonaws.com"}]
    assert policies_of(capture, role) == {"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"}


def test_no_role_holds_administrator_access(capture: Capture) -> None:
    attached = {a.inputs["policyArn"] for a in capture.of_type(ATTACHMENT)}
    assert not {p for p in attached if p.endswith(("/AdministratorAccess", "/PowerUserAccess"))}


def test_kubernetes_provider_uses_short_lived_exec_credentials(
    declared: settings.StackSettings, capture: Capture
) -> None:
    provider = one(capture, "pulumi:providers:kubernetes", "k8s")
    kubeconfig = json.loads(provider.inputs["kubeconfig"])
    cluster = one(capture, CLUSTER)
    assert kubeconfig["clusters"][0]["cluster"] == {
        "server": cluster.outputs["endpoint"],
        "certificate-authority-data": cluster.outputs["certificateAuthority"]["data"],
    }
    [user] = kubeconfig["users"]
    assert set(user["user"]) == {"exec"}  # no token, no client key, no password
    assert user["user"]["exec"]["command"] == "aws"
    assert user["user"]["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", declared.cluster.name]


def test_guardduty_watches_eks_in_prod_only(stack: str, capture: Capture) -> None:
    detectors = capture.of_type("aws:guardduty/detector:Detector")
    features = capture.of_type("aws:guardduty/detectorFeature:DetectorFeature")
    if stack != "prod":
        assert detectors == [] and features == []  # off by default outside prod (stack files leave it unset)
        return
    [detector] = detectors
    assert detector.inputs["enable"] is True
    assert {f.inputs["name"]: f.inputs["status"] for f in features} == {
        "EKS_AUDIT_LOGS": "ENABLED",
        "RUNTIME_MONITORING": "ENABLED",
    }
    runtime = next(f for f in features if f.inputs["name"] == "RUNTIME_MONITORING")
    assert runtime.inputs["additionalConfigurations"] == [{"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}]
    assert all(f.property_dependencies["detectorId"] == (detector.urn,) for f in features)


def test_component_type_tokens_and_child_names(declared: settings.StackSettings, capture: Capture) -> None:
    name = declared.cluster.name
    tokens = {r.type for r in capture.resources if r.type.startswith("nhi:")}
    assert tokens >= {
        "nhi:cluster:Cluster",
        "nhi:network:Network",
        "nhi:encryption:EncryptionKey",
        "nhi:node_group:NodeGroup",
        "nhi:addons:ClusterAddons",
        "nhi:registry:ImageRegistry",
        "nhi:namespaces:Namespaces",
    }
    root = one(capture, "nhi:cluster:Cluster")
    by_urn = capture.by_urn()

    def under_cluster(urn: str | None) -> bool:
        while urn:
            if urn == root.urn:
                return True
            urn = by_urn[urn].parent if urn in by_urn else None
        return False

    children = [r for r in capture.resources if under_cluster(r.parent)]
    assert children and all(r.name.startswith(f"{name}-") for r in children)


def test_an_unsafe_setting_stops_the_preflight_before_any_resource(capture_config) -> None:
    from nhi.preflight.errors import PreflightError

    def open_endpoint(config: dict) -> None:
        config["nhi-platform:cluster"]["publicEndpointCidrs"] = ["0.0.0.0/0"]

    with pytest.raises(PreflightError) as raised:
        capture_config("dev", open_endpoint)
    assert "nhi-platform:cluster.publicEndpointCidrs[0]: the API endpoint is never open to the whole internet" in (
        raised.value.message
    )


def test_a_listed_range_opens_the_public_endpoint_for_it_only(capture_config) -> None:
    def office(config: dict) -> None:
        config["nhi-platform:cluster"]["publicEndpointCidrs"] = ["203.0.113.0/24"]

    vpc_config = one(capture_config("dev", office), CLUSTER).inputs["vpcConfig"]
    assert vpc_config["endpointPublicAccess"] is True and vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["publicAccessCidrs"] == ["203.0.113.0/24"]
