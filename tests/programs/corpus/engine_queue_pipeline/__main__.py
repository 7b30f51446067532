import pulumi
import pulumi_aws as aws

# Stage names run against the alphabet, so registration order is not URN order.
STAGES = ["zeta", "epsilon", "delta", "gamma", "beta", "alpha"]

previous: aws.sqs.Queue | None = None
for stage in STAGES:
    options = pulumi.ResourceOptions(depends_on=[previous] if previous else None)
    if stage == "gamma":
        # Renamed from "third-stage"; creating and deleting its queue is slow in this account.
        options = pulumi.ResourceOptions.merge(
            options,
            pulumi.ResourceOptions(
                aliases=[pulumi.Alias(name="third-stage")],
                custom_timeouts=pulumi.CustomTimeouts(create="10m", delete="1h30m"),
            ),
        )
    previous = aws.sqs.Queue(f"stage-{stage}", visibility_timeout_seconds=60, opts=options)

pulumi.export("owner", "pipeline-team")
