"""The nhi-platform program: stack config in, components out. No logic of its own (see ../shared/DESIGN.md)."""

import settings

stack = settings.load_settings()

# --- Pipeline identity (README: CI): GitHub Actions OIDC, this environment's deploy role, read-only preview role ----
import pulumi  # noqa: E402  (this block stays self-contained at the end of the program)

from components.deployer_identity import DeployerIdentity, DeployerIdentityArgs  # noqa: E402
from settings.model import partition_of  # noqa: E402

if stack.ci is not None:
    pipeline = DeployerIdentity("pipeline", DeployerIdentityArgs(
        org=stack.ci.org, repository=stack.ci.repository, environment=stack.environment,
        account_id=stack.account_id, region=stack.region, partition=partition_of(stack.region),
        cluster_name=stack.cluster.name, cluster_admin_role_arns=stack.cluster.admin_role_arns,
        oidc_provider=stack.ci.oidc_provider, role_boundary_arn=stack.permissions_boundary_arn,
        detective_controls=stack.detective_controls,
        tags={"nhi-platform/stack": pulumi.get_stack(), "nhi-platform/environment": stack.environment.value},
    ))
    pulumi.export("ciDeployRoleArn", pipeline.deploy_role_arn)
    pulumi.export("ciPreviewRoleArn", pipeline.preview_role_arn)
    pulumi.export("ciOidcProviderArn", pipeline.oidc_provider_arn)
# --- end of pipeline identity -----------------------------------------------------------------------------------------
