"""Multi-language (remote) components: `register_resource(..., remote=True)`, as pulumi_eks.Cluster and
pulumi_awsx.ec2.Vpc register. The engine does not record these as they are: it loads the component's
package plugin and asks it to `Construct` the component, then judges the children that the plugin registers
(pulumi/pulumi pkg/resource/deploy/source_eval.go: a remote RegisterResource becomes a provider Construct
call, the provider being the default one for the type's package at the requested version and plugin
download URL). Their implementations ship inside those plugins (eks and awsx: Node.js binaries), which a
preflight without the Pulumi CLI or plugins cannot run; such a component is recorded, named as not
constructed with the plugin it needs, and answered with no outputs (every output unknown, as in a preview
of a component not yet created): echoing its inputs would hand the program values of the wrong type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import resource_pb2


@dataclass(frozen=True)
class ComponentPlugin:
    """The plugin the engine would load to construct a remote component."""

    package: str
    """The type token's package (`eks` of `eks:index:Cluster`): the engine's `tokens.Type.Package()`."""
    version: str | None
    """`version` of the RegisterResource request: the SDK package's own version (its `_utilities.get_version()`,
    sent through `get_resource_opts_defaults()`), or the program's `ResourceOptions(version=...)`."""
    download_url: str | None = None
    """`pluginDownloadURL` of the request, for packages not on Pulumi's plugin server."""

    def describe(self) -> str:
        version = self.version or "(newest installed: the program names no version)"
        return f"{self.package} {version}"

    def reason(self) -> str:
        return f"not constructed offline: needs plugin {self.describe()}"


def package_of(type_token: str) -> str:
    return type_token.split(":", 1)[0]


def plugin_of(request: Any) -> ComponentPlugin | None:
    """The plugin a RegisterResource request needs constructed, or None when it is not a remote component."""
    if not getattr(request, "remote", False):
        return None
    return ComponentPlugin(
        package=package_of(request.type),
        version=request.version or None,
        download_url=request.pluginDownloadURL or None,
    )


def unconstructed_response(urn: str) -> Any:
    """The monitor's answer for a remote component that is not constructed: its URN and no outputs."""
    return resource_pb2.RegisterResourceResponse(urn=urn, id="", object=struct_pb2.Struct())
