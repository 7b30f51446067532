"""docs/inventory.md's sample is the real dev stack's inventory, and its picture is drawn from the same capture."""

from __future__ import annotations

from docgen import REPO, inventory
from docgen.outputs import Block, Picture, Site
from nhi.inventory import graph


def test_the_block_is_the_dev_stacks_inventory(site: Site) -> None:
    (block,) = [o for o in site.outputs if isinstance(o, Block) and o.path == inventory.PAGE]
    assert block.text.startswith("### Non-human identities of `nhi-platform` / `dev`")
    assert "| payments/payments | service account |" in block.text
    text = (REPO / inventory.PAGE).read_text(encoding="utf-8")
    assert f"{block.begin}\n\n{block.text.strip()}\n\n{block.end}" in text


def test_the_picture_carries_the_digest_of_the_dev_inventory(site: Site) -> None:
    (picture,) = [o for o in site.outputs if isinstance(o, Picture)]
    assert picture.path == inventory.PICTURE
    assert picture.digest == graph.source_digest(inventory.dev_inventory(REPO))
    assert f"sha256:{picture.digest}" in (REPO / picture.path).read_text(encoding="utf-8")
