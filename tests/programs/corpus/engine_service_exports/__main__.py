import pulumi
import pulumi_aws as aws


class ServiceEndpoint(pulumi.ComponentResource):
    """A queue and its dead-letter queue; consumers need only the ARNs."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("corpus:service:ServiceEndpoint", name, None, opts)
        dead_letters = aws.sqs.Queue(f"{name}-dlq", opts=pulumi.ResourceOptions(parent=self))
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            redrive_policy=dead_letters.arn.apply(lambda arn: f'{{"deadLetterTargetArn":"{arn}","maxReceiveCount":5}}'),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.queue.arn
        self.register_outputs({"arn": self.arn, "deadLetterArn": dead_letters.arn})


endpoint = ServiceEndpoint("orders")
owner = pulumi.Config().get("owner")
if owner:
    pulumi.export("owner", owner)
pulumi.export("ordersArn", endpoint.arn)
