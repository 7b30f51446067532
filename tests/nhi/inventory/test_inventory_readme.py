"""The README's dev inventory is the real one: regenerated from the capture, it must equal what is there."""

from __future__ import annotations

from nhi.inventory import readme


def test_the_readme_dev_inventory_is_current() -> None:
    current = readme.README.read_text(encoding="utf-8")
    assert readme.updated(current) == current, "run: python -m nhi.inventory.readme"


def test_the_block_is_the_dev_stacks_inventory() -> None:
    block = readme.render()
    assert block.startswith(readme.BEGIN) and block.endswith(readme.END)
    assert "#### Non-human identities of `nhi-platform` / `dev`" in block
    assert "| payments/payments | service account |" in block
