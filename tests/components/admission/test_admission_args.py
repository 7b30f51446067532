"""The admission component's arguments refuse what would weaken or break the allow-list, naming the namespace."""

from __future__ import annotations

import pytest

from components.admission import AdmissionArgs, AllowedIdentity, AllowedImage, NamespaceAllowList, admitted_images

DIGEST = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/cart@sha256:" + "0a" * 32


def allow(account: str = "cart", image: str = DIGEST, entry: str = "blue") -> NamespaceAllowList:
    images = (AllowedImage(entry=entry, image=image, stack_key="nhi-platform:workloads[0].rollout.blue"),)
    return NamespaceAllowList(namespace="shop", identities=(AllowedIdentity(service_account=account, images=images),))


def test_the_data_round_trips_to_the_admitted_images() -> None:
    data = allow().data()
    assert data == {"cart.image.blue": DIGEST, "cart.key.blue": "nhi-platform:workloads[0].rollout.blue"}
    assert admitted_images(data) == {"cart": (DIGEST,)}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/cart:1.0"}, "is not pinned by digest"),
        ({"account": "default"}, "is not a declarable service account name"),
        ({"entry": "Blue Slot"}, "is not a DNS label"),
    ],
)
def test_a_list_refuses_what_the_cluster_must_not_admit(change: dict[str, str], problem: str) -> None:
    with pytest.raises(ValueError, match=f"namespace 'shop'.*{problem}"):
        allow(**change)


def test_system_namespaces_and_repeats_are_refused() -> None:
    system = NamespaceAllowList(namespace="kube-system", identities=allow().identities)
    with pytest.raises(ValueError, match="'kube-system' is a system namespace, left to EKS"):
        AdmissionArgs(namespaces=(system,))
    with pytest.raises(ValueError, match="namespaces repeat"):
        AdmissionArgs(namespaces=(allow(), allow()))
