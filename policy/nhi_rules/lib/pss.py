"""The Kubernetes Pod Security Standards (policy version v1.37), control by control.

Follows kubernetes/pod-security-admission's checks; each broken control yields one (control, message) pair
that names the offending paths. Measured against the upstream fixtures vendored in tests/fixtures/pod-security.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from nhi_rules.lib.k8s import PodTemplate, containers
from nhi_rules.lib.props import as_bool, as_int, as_str, get, maps, str_map, strings

LEVELS = ("baseline", "restricted")
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
    "image",
}
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")

MESSAGES = {
    "hostProcess": "{paths}: Windows HostProcess containers are not allowed; remove windowsOptions.hostProcess",
    "hostNamespaces": "{paths}: host namespaces are not allowed; set hostNetwork, hostPID and hostIPC to false",
    "privileged": "{paths}: privileged containers are not allowed; set securityContext.privileged=false",
    "capabilities": "{paths}: capabilities beyond the baseline set are added; remove them from capabilities.add",
    "hostPathVolumes": "{paths}: hostPath volumes are not allowed; use emptyDir, a PVC or a projected volume",
    "hostPorts": "{paths}: hostPort is not allowed; expose the port through a Service",
    "appArmor": "{paths}: AppArmor must not be unconfined; use RuntimeDefault or a Localhost profile",
    "seLinux": "{paths}: custom SELinux user/role or type is not allowed; remove seLinuxOptions.user/role/type",
    "procMount": "{paths}: procMount must be Default",
    "seccomp": "{paths}: seccompProfile.type must not be Unconfined",
    "sysctls": "{paths}: unsafe sysctls are not allowed; use only the safe sysctl set",
    "hostProbes": "{paths}: probes and lifecycle handlers must not set host; they target the pod itself",
    "volumeTypes": "{paths}: only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, "
    "projected and secret volumes are allowed",
    "allowPrivilegeEscalation": "{paths}: set securityContext.allowPrivilegeEscalation=false",
    "runAsNonRoot": "{paths}: set securityContext.runAsNonRoot=true (pod or every container), never false",
    "runAsUser": "{paths}: runAsUser 0 (root) is not allowed; use a non-zero UID",
    "seccompRestricted": "{paths}: set securityContext.seccompProfile.type to RuntimeDefault or Localhost "
    "(pod or every container)",
    "capabilitiesRestricted": "{paths}: drop ALL capabilities and add at most NET_BIND_SERVICE",
}
BASELINE_CONTROLS = (
    "hostProcess",
    "hostNamespaces",
    "privileged",
    "capabilities",
    "hostPathVolumes",
    "hostPorts",
    "appArmor",
    "seLinux",
    "procMount",
    "seccomp",
    "sysctls",
    "hostProbes",
)
RESTRICTED_CONTROLS = (
    *BASELINE_CONTROLS,
    "volumeTypes",
    "allowPrivilegeEscalation",
    "runAsNonRoot",
    "runAsUser",
    "seccompRestricted",
    "capabilitiesRestricted",
)


def _windows(t: PodTemplate) -> bool:
    return as_str(get(t.spec, "os", "name")) == "windows"


def _pod_sc(t: PodTemplate) -> Any:
    return get(t.spec, "securityContext")


def _host_process(t: PodTemplate) -> list[str]:
    bad = []
    if as_bool(get(_pod_sc(t), "windowsOptions", "hostProcess")) is True:
        bad.append(f"{t.path}.securityContext.windowsOptions.hostProcess")
    bad += [
        f"{c.path}.securityContext.windowsOptions.hostProcess"
        for c in containers(t)
        if as_bool(get(c.value, "securityContext", "windowsOptions", "hostProcess")) is True
    ]
    return bad


def _host_namespaces(t: PodTemplate) -> list[str]:
    return [f"{t.path}.{key}" for key in ("hostNetwork", "hostPID", "hostIPC") if as_bool(get(t.spec, key)) is True]


def _privileged(t: PodTemplate) -> list[str]:
    return [
        f"{c.path}.securityContext.privileged"
        for c in containers(t)
        if as_bool(get(c.value, "securityContext", "privileged")) is True
    ]


def _capabilities(t: PodTemplate) -> list[str]:
    return [
        f"{c.path}.securityContext.capabilities.add"
        for c in containers(t)
        if any(
            cap not in BASELINE_CAPABILITIES for cap in strings(get(c.value, "securityContext", "capabilities", "add"))
        )
    ]


def _host_path(t: PodTemplate) -> list[str]:
    return [
        f"{t.path}.volumes[{i}].hostPath" for i, v in maps(get(t.spec, "volumes")) if get(v, "hostPath") is not None
    ]


def _host_ports(t: PodTemplate) -> list[str]:
    bad = []
    for c in containers(t):
        for i, port in maps(get(c.value, "ports")):
            if (as_int(get(port, "hostPort")) or 0) != 0:
                bad.append(f"{c.path}.ports[{i}].hostPort")
    return bad


def _apparmor(t: PodTemplate) -> list[str]:
    bad = []
    for key, value in str_map(get(t.metadata, "annotations")).items():
        if (
            key.startswith(APPARMOR_ANNOTATION)
            and value not in ("", "runtime/default")
            and not value.startswith("localhost/")
        ):
            bad.append(f"metadata.annotations[{key}]")
    contexts = [(f"{t.path}.securityContext", _pod_sc(t))] + [
        (f"{c.path}.securityContext", get(c.value, "securityContext")) for c in containers(t)
    ]
    for path, context in contexts:
        kind = as_str(get(context, "appArmorProfile", "type"))
        if kind is not None and kind not in ("RuntimeDefault", "Localhost"):
            bad.append(f"{path}.appArmorProfile.type")
    return bad


def _selinux(t: PodTemplate) -> list[str]:
    bad = []
    contexts = [(f"{t.path}.securityContext", _pod_sc(t))] + [
        (f"{c.path}.securityContext", get(c.value, "securityContext")) for c in containers(t)
    ]
    for path, context in contexts:
        options = get(context, "seLinuxOptions")
        if options is None:
            continue
        if (
            (as_str(get(options, "type")) or "") not in SELINUX_TYPES
            or as_str(get(options, "user"))
            or as_str(get(options, "role"))
        ):
            bad.append(f"{path}.seLinuxOptions")
    return bad


def _proc_mount(t: PodTemplate, restricted: bool) -> list[str]:
    if not restricted and as_bool(get(t.spec, "hostUsers")) is False:
        return []  # baseline allows Unmasked inside a user namespace
    return [
        f"{c.path}.securityContext.procMount"
        for c in containers(t)
        if (as_str(get(c.value, "securityContext", "procMount")) or "Default") != "Default"
    ]


def _seccomp_baseline(t: PodTemplate) -> list[str]:
    bad = []
    if as_str(get(_pod_sc(t), "seccompProfile", "type")) == "Unconfined":
        bad.append(f"{t.path}.securityContext.seccompProfile.type")
    bad += [
        f"{c.path}.securityContext.seccompProfile.type"
        for c in containers(t)
        if as_str(get(c.value, "securityContext", "seccompProfile", "type")) == "Unconfined"
    ]
    return bad


def _sysctls(t: PodTemplate) -> list[str]:
    return [
        f"{t.path}.securityContext.sysctls[{i}]"
        for i, s in maps(get(_pod_sc(t), "sysctls"))
        if (as_str(get(s, "name")) or "") not in SAFE_SYSCTLS
    ]


def _host_probes(t: PodTemplate) -> list[str]:
    bad = []
    for c in containers(t):
        handlers = [(probe, get(c.value, probe)) for probe in PROBES]
        handlers += [(f"lifecycle.{hook}", get(c.value, "lifecycle", hook)) for hook in ("postStart", "preStop")]
        for name, handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                if as_str(get(handler, action, "host")):
                    bad.append(f"{c.path}.{name}.{action}.host")
    return bad


def _volume_types(t: PodTemplate) -> list[str]:
    bad = []
    for i, volume in maps(get(t.spec, "volumes")):
        for key in volume:
            if key != "name" and key not in RESTRICTED_VOLUMES and get(volume, key) is not None:
                bad.append(f"{t.path}.volumes[{i}].{key}")
    return bad


def _privilege_escalation(t: PodTemplate) -> list[str]:
    if _windows(t):
        return []
    return [
        f"{c.path}.securityContext.allowPrivilegeEscalation"
        for c in containers(t)
        if as_bool(get(c.value, "securityContext", "allowPrivilegeEscalation")) is not False
    ]


def _run_as_non_root(t: PodTemplate) -> list[str]:
    pod = as_bool(get(_pod_sc(t), "runAsNonRoot"))
    bad = [f"{t.path}.securityContext.runAsNonRoot"] if pod is False else []
    for c in containers(t):
        value = as_bool(get(c.value, "securityContext", "runAsNonRoot"))
        if value is False or (value is None and pod is not True):
            bad.append(f"{c.path}.securityContext.runAsNonRoot")
    return bad


def _run_as_user(t: PodTemplate) -> list[str]:
    bad = [f"{t.path}.securityContext.runAsUser"] if as_int(get(_pod_sc(t), "runAsUser")) == 0 else []
    bad += [
        f"{c.path}.securityContext.runAsUser"
        for c in containers(t)
        if as_int(get(c.value, "securityContext", "runAsUser")) == 0
    ]
    return bad


def _seccomp_restricted(t: PodTemplate) -> list[str]:
    if _windows(t):
        return []
    valid = ("RuntimeDefault", "Localhost")
    pod = as_str(get(_pod_sc(t), "seccompProfile", "type"))
    bad = [f"{t.path}.securityContext.seccompProfile.type"] if pod is not None and pod not in valid else []
    for c in containers(t):
        value = as_str(get(c.value, "securityContext", "seccompProfile", "type"))
        if (value is not None and value not in valid) or (value is None and pod not in valid):
            bad.append(f"{c.path}.securityContext.seccompProfile.type")
    return bad


def _capabilities_restricted(t: PodTemplate) -> list[str]:
    if _windows(t):
        return []
    bad = []
    for c in containers(t):
        capabilities = get(c.value, "securityContext", "capabilities")
        if "ALL" not in strings(get(capabilities, "drop")) or any(
            cap != "NET_BIND_SERVICE" for cap in strings(get(capabilities, "add"))
        ):
            bad.append(f"{c.path}.securityContext.capabilities")
    return bad


CHECKS: dict[str, Callable[[PodTemplate, bool], list[str]]] = {
    "hostProcess": lambda t, r: _host_process(t),
    "hostNamespaces": lambda t, r: _host_namespaces(t),
    "privileged": lambda t, r: _privileged(t),
    "capabilities": lambda t, r: _capabilities(t),
    "hostPathVolumes": lambda t, r: _host_path(t),
    "hostPorts": lambda t, r: _host_ports(t),
    "appArmor": lambda t, r: _apparmor(t),
    "seLinux": lambda t, r: _selinux(t),
    "procMount": _proc_mount,
    "seccomp": lambda t, r: _seccomp_baseline(t),
    "sysctls": lambda t, r: _sysctls(t),
    "hostProbes": lambda t, r: _host_probes(t),
    "volumeTypes": lambda t, r: _volume_types(t),
    "allowPrivilegeEscalation": lambda t, r: _privilege_escalation(t),
    "runAsNonRoot": lambda t, r: _run_as_non_root(t),
    "runAsUser": lambda t, r: _run_as_user(t),
    "seccompRestricted": lambda t, r: _seccomp_restricted(t),
    "capabilitiesRestricted": lambda t, r: _capabilities_restricted(t),
}


def controls(level: str) -> tuple[str, ...]:
    return RESTRICTED_CONTROLS if level == "restricted" else BASELINE_CONTROLS


def offending_paths(template: PodTemplate, control: str, level: str) -> list[str]:
    """Paths that break one control at `level`; [] when the control holds."""
    return CHECKS[control](template, level == "restricted")


def violations(template: PodTemplate, level: str) -> Iterator[tuple[str, list[str]]]:
    """(control, offending paths) for each broken control of the level."""
    for control in controls(level):
        paths = offending_paths(template, control, level)
        if paths:
            yield control, paths
