import secrets

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class SuffixProvider(ResourceProvider):
    def create(self, props: dict) -> CreateResult:
        suffix = secrets.token_hex(int(props["length"]))
        return CreateResult(id_=suffix, outs={**props, "suffix": suffix})


class Suffix(Resource):
    suffix: pulumi.Output[str]

    def __init__(self, name: str, length: int, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(SuffixProvider(), name, {"length": length, "suffix": None}, opts)


suffix = Suffix("bucket-suffix", length=4)
pulumi.export("owner", "storage-team")
pulumi.export("suffix", suffix.suffix)
