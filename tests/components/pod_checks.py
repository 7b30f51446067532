"""Checks of a rendered pod spec for the component tests: what keeps it from Pod Security `restricted` and this
platform's extras (the workload slots and the rollout's gate are held to the same bar)."""

from __future__ import annotations

from typing import Any

from components.pods import DIGEST_REF_RE, TMP_MOUNT


def restricted_violations(spec: dict[str, Any]) -> list[str]:
    """What keeps a pod spec from Pod Security `restricted` and this platform's extras (empty: compliant)."""
    found = []
    pod_context = spec.get("securityContext") or {}
    if pod_context.get("runAsNonRoot") is not True:
        found.append("securityContext.runAsNonRoot")
    if not isinstance(pod_context.get("runAsUser"), int) or pod_context["runAsUser"] < 1000:
        found.append("securityContext.runAsUser")
    if (pod_context.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        found.append("securityContext.seccompProfile")
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            found.append(key)
    if any("hostPath" in v for v in spec.get("volumes") or []):
        found.append("volumes.hostPath")
    if spec.get("enableServiceLinks") is not False:
        found.append("enableServiceLinks")
    tmp_volumes = {v["name"] for v in spec.get("volumes") or [] if "emptyDir" in v}
    for container in [*spec.get("initContainers", []), *spec["containers"]]:
        where = f"containers[{container['name']}]"
        context = container.get("securityContext") or {}
        if context.get("allowPrivilegeEscalation") is not False:
            found.append(f"{where}.allowPrivilegeEscalation")
        if context.get("privileged"):
            found.append(f"{where}.privileged")
        if context.get("readOnlyRootFilesystem") is not True:
            found.append(f"{where}.readOnlyRootFilesystem")
        if (context.get("capabilities") or {}).get("drop") != ["ALL"] or (context.get("capabilities") or {}).get("add"):
            found.append(f"{where}.capabilities")
        if context.get("runAsUser") == 0 or context.get("runAsNonRoot") is False:
            found.append(f"{where}.runAsUser")
        resources = container.get("resources") or {}
        for kind in ("requests", "limits"):
            if set(resources.get(kind) or {}) != {"cpu", "memory"}:
                found.append(f"{where}.resources.{kind}")
        for probe in ("readinessProbe", "livenessProbe"):
            if not container.get(probe):
                found.append(f"{where}.{probe}")
        if not DIGEST_REF_RE.match(container["image"]):
            found.append(f"{where}.image")
        if not any(
            m["mountPath"] == TMP_MOUNT and m["name"] in tmp_volumes for m in container.get("volumeMounts") or []
        ):
            found.append(f"{where}.volumeMounts(/tmp)")
        if "env" in container or "envFrom" in container:
            found.append(f"{where}.env")
    return found
