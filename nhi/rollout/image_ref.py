"""The image `nhi rollout release` writes: a reference pinned by digest, matched whole by the one pattern the
settings and the components use (components.pods.DIGEST_REF_RE), whose registry host and repository path also
follow the OCI distribution grammar (distribution/reference): no empty, `.` or `..` path component, no host
label that starts or ends with `-`, at most 255 characters of name. The pattern alone accepts
`registry/../other@sha256:...`."""

from __future__ import annotations

import re

from components.pods import DIGEST_REF_RE

from .errors import RolloutRefused

# distribution/reference: path-component := alpha-numeric (separator alpha-numeric)*, separator := [_.] | __ | [-]+
PATH_COMPONENT_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
# domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
HOST_COMPONENT_RE = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?")
MAX_NAME_LENGTH = 255

NOT_A_DIGEST = (
    "--image {image!r} is not pinned by digest: give REGISTRY/REPOSITORY@sha256:<64 hex>. A tag can "
    "be moved to another image after the gate has passed; `aws ecr describe-images` or `docker buildx "
    "imagetools inspect` prints the digest"
)
BAD_NAME = "--image {image!r} is not a valid image name: {problem}"


def digest_reference(image: str) -> re.Match[str]:
    """`image` matched by DIGEST_REF_RE (groups `registry` and `repository`), whole (no trailing newline); refused
    when it is not pinned by digest or its name breaks the OCI grammar."""
    match = DIGEST_REF_RE.fullmatch(image)
    if match is None:
        raise RolloutRefused(NOT_A_DIGEST.format(image=image))
    problem = name_problem(match["registry"], match["repository"])
    if problem is not None:
        raise RolloutRefused(BAD_NAME.format(image=image, problem=problem))
    return match


def name_problem(registry: str, repository: str) -> str | None:
    """What is wrong with an image name (`repository` is REGISTRY/PATH), or None."""
    host = registry.partition(":")[0]
    for label in host.split("."):
        if not HOST_COMPONENT_RE.fullmatch(label):
            return f"the registry host {host!r} has the label {label!r} (letters, digits and inner '-' only)"
    for component in repository[len(registry) + 1 :].split("/"):
        if not PATH_COMPONENT_RE.fullmatch(component):
            return (
                f"the repository path has the component {component!r}: each is lowercase letters and digits, "
                "joined by '.', '_', '__' or '-' (no empty, '.' or '..' component)"
            )
    if len(repository) > MAX_NAME_LENGTH:
        return f"the name is {len(repository)} characters, more than {MAX_NAME_LENGTH}"
    return None
