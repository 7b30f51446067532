"""The image `nhi rollout release` writes is matched whole by the shared digest pattern and its name follows the
OCI distribution grammar: a malformed one is refused (exit 2, one paragraph), and the file stays as it was.
(Stack files that cannot be read: tests/settings/test_stack_file_commands.py, for every command.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from nhi.cli import main
from nhi.rollout.image_ref import BAD_NAME, NOT_A_DIGEST
from tests.conftest import REPO

DEV = (REPO / "stacks" / "Pulumi.dev.yaml").read_text()
REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
NEW = f"{REGISTRY}/cart@sha256:{'e' * 64}"


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (f"{REGISTRY}/../payments@sha256:{'e' * 64}", "the repository path has the component '..'"),
        (f"{REGISTRY}/team/./cart@sha256:{'e' * 64}", "the repository path has the component '.'"),
        (f"{REGISTRY}/team//cart@sha256:{'e' * 64}", "the repository path has the component ''"),
        (f"{REGISTRY}/cart-@sha256:{'e' * 64}", "the repository path has the component 'cart-'"),
        (f"{REGISTRY}/{'a' * 250}@sha256:{'e' * 64}", "the name is 295 characters, more than 255"),
    ],
)
def test_a_malformed_image_name_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, image: str, message: str
) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(DEV)
    code = main(["rollout", "release", "--stack-file", str(path), "--workload", "cart", "--image", image])
    err = capsys.readouterr().err
    assert (code, path.read_text()) == (2, DEV)
    assert err.startswith("nhi rollout release: refused: " + BAD_NAME.format(image=image, problem="")[:-1])
    assert message in err


def test_an_image_with_a_trailing_newline_is_not_pinned(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(DEV)
    image = NEW + "\n"
    code = main(["rollout", "release", "--stack-file", str(path), "--workload", "cart", "--image", image])
    assert (code, path.read_text()) == (2, DEV)
    assert capsys.readouterr().err == f"nhi rollout release: refused: {NOT_A_DIGEST.format(image=image)}\n"


def test_a_name_with_every_separator_the_grammar_allows_is_released(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(DEV)
    image = f"{REGISTRY}/team.a/cart__v2_x--y@sha256:{'e' * 64}"
    code = main(["rollout", "release", "--stack-file", str(path), "--workload", "cart", "--image", image])
    assert (code, capsys.readouterr().err) == (0, "")
    assert image in path.read_text()
