"""A variable's life in an execution trace as frames of a data-structure drawing (array,
table, linked list, binary tree, graph or plain value), played in the terminal, written as
animated SVG or as HTML."""

from __future__ import annotations

from sector_cli.viz.structures.model import (
    KINDS,
    Animation,
    Array,
    BinaryTree,
    Frame,
    Graph,
    Linked,
    Scalar,
    Table,
    animate,
    to_json,
)
from sector_cli.viz.structures.render import play, terminal, write_drawing

__all__ = [
    "KINDS",
    "Animation",
    "Array",
    "BinaryTree",
    "Frame",
    "Graph",
    "Linked",
    "Scalar",
    "Table",
    "animate",
    "play",
    "terminal",
    "to_json",
    "write_drawing",
]
