"""The access-level table of docs/workloads.md, written from the access catalog (components.access_catalog)."""

from __future__ import annotations

from components.access_catalog import levels_table

from .outputs import Block, table

PATH = "docs/workloads.md"
NAME = "ACCESS LEVELS"


def render() -> str:
    rows = [
        [f"`{service}`", f"`{level}`", summary, actions, noun]
        for service, level, summary, actions, noun in levels_table()
    ]
    return "\n".join(table(("service", "level", "allows", "actions and resources", "`resources` lists"), rows))


def block() -> Block:
    return Block(PATH, NAME, render())
