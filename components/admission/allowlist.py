"""The per-namespace allow-list: which images each declared service account may run, and the stack-file key that
declares each image. Rendered as the data of the namespace's parameter ConfigMap (keys in `expressions`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..identifiers import DNS_LABEL_RE
from ..pods import DIGEST_REF_RE
from .expressions import IMAGE_KEY, STACK_KEY

ENTRY_RE = DNS_LABEL_RE
"""An entry's name (`blue`, `green`, `gate`) becomes part of a ConfigMap key."""


@dataclass(frozen=True, kw_only=True)
class AllowedImage:
    entry: str
    """Names the image among its account's: the rollout slot (`blue`, `green`) or `gate`."""
    image: str
    """REGISTRY/REPOSITORY@sha256:<64 hex>: references by tag are never admitted."""
    stack_key: str
    """The stack-file key that declares the image, such as `nhi-platform:workloads[2].rollout.blue`."""


@dataclass(frozen=True, kw_only=True)
class AllowedIdentity:
    service_account: str
    """A ServiceAccount of the namespace that pods may run as."""
    images: tuple[AllowedImage, ...]
    """The images its pods may run (at least one)."""


@dataclass(frozen=True, kw_only=True)
class NamespaceAllowList:
    namespace: str
    """A workload namespace (never a system one: those are left to EKS)."""
    identities: tuple[AllowedIdentity, ...]
    """Every service account declared for the namespace, with its images."""

    def __post_init__(self) -> None:
        problems = []
        accounts = [identity.service_account for identity in self.identities]
        if len(set(accounts)) != len(accounts):
            problems.append(f"service accounts repeat: {accounts}")
        for identity in self.identities:
            if not DNS_LABEL_RE.fullmatch(identity.service_account) or identity.service_account == "default":
                problems.append(f"{identity.service_account!r} is not a declarable service account name")
            if not identity.images:
                problems.append(f"{identity.service_account!r} declares no image")
            entries = [image.entry for image in identity.images]
            if len(set(entries)) != len(entries):
                problems.append(f"{identity.service_account!r}: entries repeat: {entries}")
            for image in identity.images:
                if not ENTRY_RE.fullmatch(image.entry):
                    problems.append(f"{identity.service_account!r}: entry {image.entry!r} is not a DNS label")
                if not DIGEST_REF_RE.match(image.image):
                    problems.append(f"{identity.service_account!r}: {image.image!r} is not pinned by digest")
        if problems:
            raise ValueError(f"admission allow-list of namespace {self.namespace!r}: " + "; ".join(problems))

    def data(self) -> dict[str, str]:
        """The parameter ConfigMap's data."""
        found: dict[str, str] = {}
        for identity in self.identities:
            for image in identity.images:
                fields = {"account": identity.service_account, "entry": image.entry}
                found[IMAGE_KEY.format(**fields)] = image.image
                found[STACK_KEY.format(**fields)] = image.stack_key
        return dict(sorted(found.items()))


def admitted_images(data: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Service account -> the images a parameter ConfigMap's data admits for it (the inverse of `data()`)."""
    found: dict[str, set[str]] = {}
    for key, value in data.items():
        account, separator, entry = key.partition(".image.")
        if separator and entry:
            found.setdefault(account, set()).add(value)
    return {account: tuple(sorted(images)) for account, images in sorted(found.items())}
