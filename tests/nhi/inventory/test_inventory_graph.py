"""The picture: rendered by Graphviz into files a test opens (SVG parsed as XML, PNG by its header), and the
committed picture of the dev stack checked for staleness (by the DOT hash it carries, no Graphviz needed)."""

from __future__ import annotations

import struct
from functools import cache
from pathlib import Path

import pytest
from defusedxml import ElementTree

from nhi.cli import main
from nhi.inventory import graph
from nhi.inventory.build import build
from nhi.inventory.model import Inventory
from tests.conftest import REPO, capture_stack

SVG = "{http://www.w3.org/2000/svg}"
COMMITTED = REPO / "docs" / "inventory-dev.svg"
REGENERATE = "python -m nhi inventory --stack dev --graph docs/inventory-dev.svg"


@cache
def inventory(stack: str) -> Inventory:
    return build(capture_stack(stack))


def svg_titles(path: Path, kind: str) -> set[str]:
    root = ElementTree.parse(path).getroot()
    return {g.findtext(f"{SVG}title") or "" for g in root.iter(f"{SVG}g") if g.get("class") == kind}


def test_the_prod_graph_renders_to_svg_with_workloads_flows_roles_and_resources(tmp_path: Path) -> None:
    path = graph.render(inventory("prod"), tmp_path / "prod.svg")
    nodes = svg_titles(path, "node")
    assert nodes == graph.expected_nodes(inventory("prod"))
    assert {
        "sa:shop/cart",
        "role:workloads-cart-identity-role",
        "cidr:10.40.0.0/16",
        "eks-cluster:prod-core",
        "aws:arn:aws:dynamodb:eu-west-1:111122223333:table/prod-carts",
        "managed-policy:AmazonEKSWorkerNodePolicy",
    } <= nodes
    # Objects (`bucket/*`) and indexes (`table/x/index/*`) fold into their bucket or table. (Other `/*`
    # resources, such as the CI deploy role's name-prefix grants, are resources in their own right.)
    assert not any(n.startswith("aws:arn:aws:s3:::") and "/" in n for n in nodes)
    assert not any(n.startswith("aws:arn:aws:dynamodb:") and "/index/" in n for n in nodes)
    assert "aws:arn:aws:s3:::acme-prod-receipts" in nodes
    edges = svg_titles(path, "edge")
    assert {
        "sa:edge/gateway->sa:shop/checkout",
        "sa:shop/cart->role:workloads-cart-identity-role",
        "role:workloads-cart-identity-role->aws:arn:aws:dynamodb:eu-west-1:111122223333:table/prod-carts",
        "cidr:10.40.0.0/16->sa:edge/gateway",
    } <= edges
    # No flow was declared from cart to anyone (DNS is not drawn).
    assert not any(e.startswith("sa:shop/cart->sa:") for e in edges)


def test_the_graph_renders_to_png(tmp_path: Path) -> None:
    path = graph.render(inventory("dev"), tmp_path / "dev.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 400 and height > 200


def test_the_committed_dev_picture_is_not_stale() -> None:
    text = COMMITTED.read_text()
    assert f"sha256:{graph.source_digest(inventory('dev'))}" in text, f"regenerate it: {REGENERATE}"
    assert svg_titles(COMMITTED, "node") == graph.expected_nodes(inventory("dev"))


def test_the_cli_writes_the_dot_source_without_graphviz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(graph.shutil, "which", lambda name: None)
    assert main(["inventory", "--stack", "dev", "--graph", str(tmp_path / "dev.dot")]) == 0
    assert (tmp_path / "dev.dot").read_text() == graph.dot_source(inventory("dev"))
    assert capsys.readouterr().out == ""  # only the picture was asked for
    assert main(["inventory", "--stack", "dev", "--graph", str(tmp_path / "dev.svg")]) == 2
    assert "Graphviz's `dot` is not installed" in capsys.readouterr().err
    assert main(["inventory", "--stack", "dev", "--graph", str(tmp_path / "dev.jpg")]) == 2
