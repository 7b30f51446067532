import helpers_local  # noqa: F401 (a module of the program, see the isolation test)
import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
namespace = k8s.core.v1.Namespace("apps", metadata={"name": "apps"})
k8s.core.v1.Secret(
    "token",
    metadata={"namespace": "apps", "name": "token"},
    string_data={"token": config.require_secret("token")},
    opts=pulumi.ResourceOptions(depends_on=[namespace]),
)
k8s.core.v1.ConfigMap(
    "greeting",
    metadata={"namespace": namespace.metadata["name"], "name": "greeting"},
    data={"greeting": config.get("greeting") or ""},
)
pulumi.export("namespace", namespace.metadata["name"])
# A resource passed where a value is expected travels as a resource reference: packs get its ID.
k8s.core.v1.ConfigMap("reference", metadata={"namespace": "apps", "name": "reference"}, data={"namespace": namespace})
