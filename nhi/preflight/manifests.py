"""Write each captured Kubernetes resource as a YAML manifest, for validators and other scanners."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from . import wire
from .capture import Capture, CapturedResource
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


def write_manifests(capture: Capture, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for resource in capture.resources:
        if not is_kubernetes_object(resource):
            continue
        body = manifest(resource)
        namespace = body["metadata"].get("namespace") or "_cluster"
        name = f"{namespace}--{body['kind'].lower()}--{body['metadata']['name']}.yaml"
        path = directory / name
        path.write_text(yaml.safe_dump(body, sort_keys=False))
        written.append(path)
    return written
