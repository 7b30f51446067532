"""URNs as the engine makes them: a type qualified by the parent's whole qualified type (`a$b$c`), the root
stack's type left out. The SDK's mocks keep only the parent's last type, which names nested resources differently
from `pulumi preview` (and a `pulumi up --exclude <urn>` written from them would exclude nothing)."""

from __future__ import annotations

from pathlib import Path

from nhi.preflight.capture import capture_program
from nhi.preflight.program import load_program, stack_config

PROGRAM = """
import pulumi
import pulumi_aws as aws


class Outer(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("acme:index:Outer", name)
        inner = Inner(f"{name}-inner", pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


class Inner(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("acme:index:Inner", name, None, opts)
        queue = aws.sqs.Queue(f"{name}-queue", opts=pulumi.ResourceOptions(parent=self))
        # The SDK's own URN arithmetic, for the same resource: the engine's rule, written in Python.
        pulumi.export("sdkQueueUrn", pulumi.create_urn(f"{name}-queue", "aws:sqs/queue:Queue", parent=self))
        self.register_outputs({})


Outer("outer")
aws.sqs.Queue("top")
"""


def _program(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: urns\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(PROGRAM)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    return tmp_path


def test_nested_resources_carry_every_ancestor_type_and_top_level_ones_none(tmp_path: Path) -> None:
    program = load_program(_program(tmp_path))
    capture = capture_program(program, stack_config(program, "dev"), unknowns=False)
    urns = {r.name: r.urn for r in capture.resources}
    assert urns["top"] == "urn:pulumi:dev::urns::aws:sqs/queue:Queue::top"
    assert urns["outer"] == "urn:pulumi:dev::urns::acme:index:Outer::outer"
    assert urns["outer-inner-queue"] == (
        "urn:pulumi:dev::urns::acme:index:Outer$acme:index:Inner$aws:sqs/queue:Queue::outer-inner-queue"
    )
    (stack,) = capture.of_type("pulumi:pulumi:Stack")
    assert stack.outputs["sdkQueueUrn"] == urns["outer-inner-queue"]
