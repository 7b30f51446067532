"""The dev stack's inventory in docs/inventory.md and its picture, both from one capture of the real stack."""

from __future__ import annotations

from pathlib import Path

from nhi.inventory import formats, graph
from nhi.inventory.build import build
from nhi.inventory.model import Inventory
from nhi.inventory.source import capture_stack

from .outputs import Block, Picture

PAGE = "docs/inventory.md"
PICTURE = "docs/inventory-dev.svg"
NAME = "DEV INVENTORY"
STACK = "dev"


def dev_inventory(repo: Path) -> Inventory:
    return build(capture_stack(repo, STACK))


def block(inventory: Inventory) -> Block:
    return Block(PAGE, NAME, formats.to_markdown(inventory))


def picture(inventory: Inventory) -> Picture:
    return Picture(PICTURE, graph.source_digest(inventory), lambda path: graph.render(inventory, path))
