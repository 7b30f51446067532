"""Write each captured Kubernetes resource as a YAML manifest, for validators and other scanners."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from . import wire
from .capture import Capture, CapturedResource
from .errors import PreflightError
from .mocks import stable_hex

_GROUP_VERSION = re.compile(r"^kubernetes:(?P<group>[^/]+)/(?P<version>[^:]+):(?P<kind>.+)$")


def is_kubernetes_object(resource: CapturedResource) -> bool:
    return (
        resource.custom
        and resource.type.startswith("kubernetes:")
        and not resource.type.startswith("kubernetes:yaml")
        and not resource.type.startswith("kubernetes:helm")
    )


def manifest(resource: CapturedResource) -> dict[str, Any]:
    """The object as the API server would receive it (secrets revealed: this goes to the user's own disk)."""
    body = wire.reveal(resource.inputs)
    match = _GROUP_VERSION.match(resource.type)
    if match:
        group = match.group("group")
        body.setdefault(
            "apiVersion", match.group("version") if group == "core" else f"{group}/{match.group('version')}"
        )
        body.setdefault("kind", match.group("kind"))
    metadata = body.setdefault("metadata", {})
    # The provider auto-names objects that give no name; the same rule, made deterministic here.
    metadata.setdefault("name", f"{resource.name}-{stable_hex(resource.urn, 8)}")
    ordered = {key: body[key] for key in ("apiVersion", "kind", "metadata") if key in body}
    ordered.update({k: v for k, v in body.items() if k not in ordered})
    return ordered


# A file name component: what Kubernetes accepts as a name (a DNS subdomain), letters of either case; nothing
# that could leave the directory (`/`, `\\`, `..`, an absolute path, NUL) or hide the file (a leading dot).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?")
CLUSTER_SCOPED = "_cluster"


def _component(resource: CapturedResource, what: str, value: object) -> str:
    text = value if isinstance(value, str) else ""
    if not _PLAIN_NAME.fullmatch(text) or ".." in text:
        raise PreflightError(
            f"--manifests: {resource.urn} has {what} {value!r}, which cannot be a file name (a Kubernetes "
            "name is letters, digits, '-' and '.'); no manifest was written."
        )
    return text


def manifest_file_name(resource: CapturedResource, body: dict[str, Any]) -> str:
    """`<namespace>--<kind>--<name>.yaml`, each part checked to be a plain name. Raises PreflightError."""
    metadata = body["metadata"]
    namespace = metadata.get("namespace") or CLUSTER_SCOPED
    if namespace != CLUSTER_SCOPED:
        namespace = _component(resource, "the namespace", namespace)
    kind = _component(resource, "the kind", body.get("kind")).lower()
    name = _component(resource, "the name", metadata.get("name"))
    return f"{namespace}--{kind}--{name}.yaml"


def write_manifests(capture: Capture, directory: Path) -> list[Path]:
    """Write every Kubernetes object into `directory`; every file name is checked before the first is written,
    and each path must resolve inside `directory` (a symbolic link there cannot lead a write elsewhere)."""
    planned: list[tuple[Path, dict[str, Any]]] = []
    for resource in capture.resources:
        if is_kubernetes_object(resource):
            body = manifest(resource)
            planned.append((directory / manifest_file_name(resource, body), body))
    try:
        directory.mkdir(parents=True, exist_ok=True)
        root = directory.resolve()
        written = []
        for path, body in planned:
            if not path.resolve().is_relative_to(root):
                raise PreflightError(f"--manifests: {path} leads outside {directory}; it was not written.")
            path.write_text(yaml.safe_dump(body, sort_keys=False))
            written.append(path)
    except OSError as error:
        where = error.filename or directory
        raise PreflightError(f"--manifests {directory}: cannot write {where}: {error.strerror or error}.") from None
    return written
