"""A variable's life in an execution trace, as frames of a data-structure drawing.

Traces are in Python Tutor's documented format (pg_logger), whose values the trace family
reads (`value_text`, `heap_entry`...). This module finds a variable (`func:name` for a local,
`name` for a global), classifies what it holds and turns every step where it changed into a
`Frame`:

- `Array`: a list, tuple, set or deque, with index pointers (the int variables of the same
  scope that are valid indexes: i, j, lo, hi, mid...);
- `Table`: a dict (key -> value) or a plain object's attributes, rows pointed at by the
  variables that equal a key;
- `Linked`: instances chained by a `next`-like attribute, with the nodes the other variables
  of the scope point at (prev, curr...), so that a reversal is seen as it happens;
- `BinaryTree`: instances with `left` and `right`;
- `Graph`: adjacency lists (a dict of lists, or a list of lists of node indexes), with the
  variables naming a node and the collections of nodes (visited, queue) marked;
- `Scalar`: anything else, as text.

Huge structures are cut (`MAX_ITEMS`...) and keep their real size in `total`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sector_cli.errors import SectorError, UsageError
from sector_cli.viz.trace import (
    VALUE_NAMES,
    Encoded,
    Heap,
    current_frame,
    heap_entry,
    instance_parts,
    is_primitive,
    is_ref,
    key_of,
    live_frames,
    ref_id,
    run_of,
    sequence_items,
    stop_message,
    value_text,
)

Kind = Literal["array", "dict", "linked", "tree", "graph", "value"]
KINDS: tuple[str, ...] = ("auto", "array", "dict", "linked", "tree", "graph")

MAX_ITEMS = 200  # cells of an array, rows of a table
MAX_CHAIN = 60  # nodes of a linked list drawn
MAX_TREE = 127  # nodes of a binary tree drawn (seven full levels)
MAX_GRAPH = 60  # nodes of a graph drawn
MAX_COUNT = 1_000_000  # nodes followed to count a chain or a tree
CELL_CHARS = 14
NEXT_NAMES = ("next", "nxt", "next_node", "link", "succ")


# Finding a variable ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VarSpec:
    """A global (`func` None) or a local of a function."""

    func: str | None
    name: str

    @property
    def label(self) -> str:
        return f"{self.func}:{self.name}" if self.func else self.name


def _user_names(scope: Mapping[str, Encoded]) -> dict[str, Encoded]:
    return {k: v for k, v in scope.items() if not k.startswith("__")}


def find(step: Mapping[str, Any], spec: VarSpec) -> tuple[Encoded, dict[str, Encoded]] | None:
    """The variable's value at this step and the scope its pointers come from: the function's
    innermost frame for a local; for a global, the globals and the current frame's locals."""
    if spec.func is None:
        names = step.get("globals") or {}
        if spec.name not in names:
            return None
        scope = _user_names(names)
        top = current_frame(step)
        if top is not None:
            scope.update(_user_names(top.get("encoded_locals") or {}))
        return names[spec.name], scope
    frames = [
        f
        for f in live_frames(step)
        if f.get("func_name") == spec.func and spec.name in (f.get("encoded_locals") or {})
    ]
    if not frames:
        return None
    frame = max(frames, key=lambda f: f.get("frame_id", 0))
    scope = _user_names(frame.get("encoded_locals") or {})
    return frame["encoded_locals"][spec.name], scope


def variables_seen(steps: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every global and `func:local` in the trace, in order of first appearance."""
    seen: dict[str, None] = {}
    for step in steps:
        for name in step.get("ordered_globals") or list(step.get("globals") or {}):
            seen.setdefault(str(name), None)
        for frame in live_frames(step):
            for name in frame.get("encoded_locals") or {}:
                if not str(name).startswith("__"):
                    seen.setdefault(f"{frame.get('func_name')}:{name}", None)
    return list(seen)


def resolve_var(steps: Sequence[Mapping[str, Any]], text: str) -> VarSpec:
    """`func:name` or `name` (a global; else the one function's local of that name)."""
    seen = variables_seen(steps)
    func, _, name = text.rpartition(":")
    if func and f"{func}:{name}" in seen:
        return VarSpec(func, name)
    if not func:
        if name in seen:
            return VarSpec(None, name)
        owners = [v.rpartition(":")[0] for v in seen if v.rpartition(":")[2] == name]
        if len(set(owners)) == 1:
            return VarSpec(owners[0], name)
    listed = ", ".join(seen[:40]) + (f", … {len(seen) - 40} more" if len(seen) > 40 else "")
    raise UsageError(
        f"no variable {text} in the trace; seen: {listed or 'none'}",
        "Name a global, or a local as func:name",
    )


# Structures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Array:
    """A list, tuple, set or deque: the first MAX_ITEMS items as text."""

    type_name: str
    items: tuple[str, ...]
    total: int
    pointers: tuple[tuple[str, int], ...] = ()  # (variable, index), by index then name


@dataclass(frozen=True)
class Table:
    """A dict, or an object's attributes: rows of (key, value) as text."""

    type_name: str
    rows: tuple[tuple[str, str], ...]
    total: int
    pointers: tuple[tuple[str, int], ...] = ()  # (variable, row)


@dataclass(frozen=True)
class Cell:
    """A node of a linked list (links: next) or a binary tree (links: left, right), by its
    heap id; a link to a node not drawn keeps its id."""

    id: int
    value: str
    links: tuple[int | None, ...]


@dataclass(frozen=True)
class Linked:
    type_name: str
    nodes: tuple[Cell, ...]  # the chain from the variable, then what the pointers reach
    head: int | None
    total: int  # nodes on the variable's chain
    cycle: bool
    pointers: tuple[tuple[str, int], ...] = ()  # (variable, node id)


@dataclass(frozen=True)
class BinaryTree:
    type_name: str
    nodes: tuple[Cell, ...]  # breadth-first from the root
    root: int | None
    total: int
    pointers: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Graph:
    nodes: tuple[str, ...]  # labels
    edges: tuple[tuple[int, int], ...]  # (from, to) by node index
    total: int
    pointers: tuple[tuple[str, int], ...] = ()  # (variable, node index)
    marks: tuple[tuple[str, str, tuple[int, ...]], ...] = ()  # (variable, type, nodes)


@dataclass(frozen=True)
class Scalar:
    text: str


Structure = Array | Table | Linked | BinaryTree | Graph | Scalar


def classify(value: Encoded, heap: Heap) -> Kind:
    entry = heap_entry(heap, value)
    if entry is None:
        return "value"
    if entry[0] in ("INSTANCE", "INSTANCE_PPRINT"):
        attrs = instance_parts(entry)[2]
        if "left" in attrs and "right" in attrs:
            return "tree"
        if any(n in attrs for n in NEXT_NAMES):
            return "linked"
        if "root" in attrs:
            return "tree"
        if "head" in attrs:
            return "linked"
        if sequence_items(entry) is not None:
            return "array"
        return "dict"
    if entry[0] in ("LIST", "TUPLE") and _index_graph(entry, heap) is not None:
        return "graph"
    if sequence_items(entry) is not None:
        return "array"
    if entry[0] == "DICT":
        return "graph" if _dict_graph(entry, heap) is not None else "dict"
    return "value"


def build(kind: Kind, value: Encoded, heap: Heap, scope: Mapping[str, Encoded], name: str) -> Any:
    """The structure of `kind` the value holds now, with pointers from the scope (a value
    that does not fit the kind, such as None for a list not built yet, is a Scalar or an
    empty structure)."""
    others = {k: v for k, v in scope.items() if k != name}
    entry = heap_entry(heap, value)
    if kind == "linked":
        return _linked(value, heap, others)
    if kind == "tree":
        return _tree(value, heap, others)
    if entry is None:
        return Scalar(value_text(value, heap, 200))
    if kind == "array" and (found := sequence_items(entry)) is not None:
        return _array(found[0], found[1], heap, others)
    if kind == "dict" and entry[0] == "DICT":
        pairs = [(p[0], p[1]) for p in entry[1:] if isinstance(p, list) and len(p) == 2]
        return _table("dict", pairs, heap, others)
    if kind == "dict" and entry[0] in ("INSTANCE", "INSTANCE_PPRINT"):
        type_name, _, attrs = instance_parts(entry)
        return _table(type_name, list(attrs.items()), heap, others)
    if kind == "graph" and (graph := _graph(entry, heap, others)) is not None:
        return graph
    return Scalar(value_text(value, heap, 200))


def _array(type_name: str, items: list[Encoded], heap: Heap, others: Mapping[str, Any]) -> Array:
    shown = items[:MAX_ITEMS]
    try:  # primitives only (references do not hash): the common case, the same step to step
        cells = _primitive_cells(tuple(shown), tuple(map(type, shown)))
    except TypeError:
        cells = tuple(value_text(item, heap, CELL_CHARS) for item in shown)
    pointers: tuple[tuple[str, int], ...] = ()
    if type_name != "set":
        pointers = tuple(
            sorted(
                ((n, v) for n, v in others.items() if _is_index(v, len(items))),
                key=lambda p: (p[1], p[0]),
            )
        )
    return Array(type_name, cells, len(items), pointers)


@functools.lru_cache(maxsize=64)
def _primitive_cells(items: tuple[Any, ...], types: tuple[type, ...]) -> tuple[str, ...]:
    """Cells of primitives; `types` keeps 1, 1.0 and True apart in the cache."""
    return tuple(value_text(item, {}, CELL_CHARS) for item in items)


def _is_index(value: Encoded, length: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < length


def _table(
    type_name: str, pairs: list[tuple[Encoded, Encoded]], heap: Heap, others: Mapping[str, Any]
) -> Table:
    rows = tuple((value_text(k, heap, 24), value_text(v, heap, 40)) for k, v in pairs[:MAX_ITEMS])
    keys = {key_of(k): i for i, (k, _) in enumerate(pairs[:MAX_ITEMS]) if is_primitive(k)}
    pointers = tuple(
        sorted(
            (
                (n, keys[key_of(v)])
                for n, v in others.items()
                if is_primitive(v) and v is not None and key_of(v) in keys
            ),
            key=lambda p: (p[1], p[0]),
        )
    )
    return Table(type_name, rows, len(pairs), pointers)


# Linked lists and trees -----------------------------------------------------------------------


def _node_value(attrs: Mapping[str, Encoded], links: Sequence[str], heap: Heap) -> str:
    for name in VALUE_NAMES:
        if name in attrs:
            return value_text(attrs[name], heap, 10)
    rest = [v for k, v in attrs.items() if k not in links]
    return value_text(rest[0], heap, 10) if rest else "·"


def _instance(heap: Heap, value: Encoded) -> tuple[int, str, dict[str, Encoded]] | None:
    entry = heap_entry(heap, value)
    if entry is None or entry[0] not in ("INSTANCE", "INSTANCE_PPRINT"):
        return None
    name, _, attrs = instance_parts(entry)
    return int(value[1]), name, attrs


def _next_name(attrs: Mapping[str, Encoded]) -> str | None:
    return next((n for n in NEXT_NAMES if n in attrs), None)


def _unwrap(value: Encoded, heap: Heap, attr: str, is_node: Any) -> Encoded:
    """A wrapper object (LinkedList(head=...), BST(root=...)) stands for its first node."""
    found = _instance(heap, value)
    if found is not None and not is_node(found[2]) and attr in found[2]:
        return found[2][attr]
    return value


def _linked(value: Encoded, heap: Heap, others: Mapping[str, Any]) -> Linked:
    head = _unwrap(value, heap, "head", lambda a: _next_name(a) is not None)
    cells: dict[int, Cell] = {}
    type_name = "node"

    def chain(start: Encoded, limit: int) -> tuple[int, bool]:
        nonlocal type_name
        count, cycle, seen, current = 0, False, set(), start
        while (found := _instance(heap, current)) is not None and count < MAX_COUNT:
            ref, type_name, attrs = found
            if ref in seen:
                cycle = True
                break
            seen.add(ref)
            count += 1
            link = _next_name(attrs)
            following = attrs.get(link) if link else None
            if len(cells) < limit and ref not in cells:
                cells[ref] = Cell(ref, _node_value(attrs, NEXT_NAMES, heap), (ref_id(following),))
            current = following
        return count, cycle

    total, cycle = chain(head, MAX_CHAIN)
    pointers = []
    for name, other in others.items():
        found = _instance(heap, other)
        if found is not None and _next_name(found[2]) is not None:
            chain(other, MAX_CHAIN)
            if found[0] in cells:
                pointers.append((name, found[0]))
    first = int(head[1]) if _instance(heap, head) is not None else None
    return Linked(type_name, tuple(cells.values()), first, total, cycle, _sorted(pointers))


def _sorted(pointers: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(pointers, key=lambda p: (p[1], p[0])))


def _tree(value: Encoded, heap: Heap, others: Mapping[str, Any]) -> BinaryTree:
    root = _unwrap(value, heap, "root", lambda a: "left" in a and "right" in a)
    cells: dict[int, Cell] = {}
    type_name = "node"
    queue, seen, total = [root], set(), 0
    while queue and total < MAX_COUNT:
        current = queue.pop(0)
        found = _instance(heap, current)
        if found is None or found[0] in seen:
            continue
        ref, type_name, attrs = found
        seen.add(ref)
        total += 1
        left, right = attrs.get("left"), attrs.get("right")
        if len(cells) < MAX_TREE:
            links = (ref_id(left), ref_id(right))
            cells[ref] = Cell(ref, _node_value(attrs, ("left", "right"), heap), links)
        queue.extend(x for x in (left, right) if is_ref(x))
    pointers = [(n, r) for n, v in others.items() if (r := ref_id(v)) is not None and r in cells]
    first = int(root[1]) if _instance(heap, root) is not None else None
    return BinaryTree(type_name, tuple(cells.values()), first, total, _sorted(pointers))


# Graphs ---------------------------------------------------------------------------------------


def _index_graph(entry: list[Any], heap: Heap) -> list[list[int]] | None:
    """A list of lists of node indexes (0..n-1), with at least one edge."""
    size, lists = len(entry) - 1, []
    for item in entry[1:]:
        inner = heap_entry(heap, item)
        found = sequence_items(inner) if inner is not None else None
        if found is None or found[0] == "deque":
            return None
        if not all(_is_index(x, size) for x in found[1]):
            return None
        lists.append([int(x) for x in found[1]])
    return lists if size and any(lists) else None


def _dict_graph(entry: list[Any], heap: Heap) -> list[tuple[Encoded, list[Encoded]]] | None:
    """A dict whose values are collections of primitives, one of them at least a key."""
    pairs = [(p[0], p[1]) for p in entry[1:] if isinstance(p, list) and len(p) == 2]
    adjacency = []
    for key, value in pairs:
        inner = heap_entry(heap, value)
        found = sequence_items(inner) if inner is not None else None
        if not is_primitive(key) or found is None or not all(map(is_primitive, found[1])):
            return None
        adjacency.append((key, found[1]))
    keys = {key_of(k) for k, _ in adjacency}
    linked = any(key_of(x) in keys for _, targets in adjacency for x in targets)
    return adjacency if adjacency and linked else None


def _graph(entry: list[Any], heap: Heap, others: Mapping[str, Any]) -> Graph | None:
    index: dict[str, int] = {}
    labels: list[str] = []

    def node(value: Encoded) -> int:
        key = key_of(value)
        if key not in index:
            index[key] = len(labels)
            labels.append(value_text(value, heap, 10))
        return index[key]

    edges: list[tuple[int, int]] = []
    by_index = _index_graph(entry, heap) if entry[0] in ("LIST", "TUPLE") else None
    by_key = _dict_graph(entry, heap) if entry[0] == "DICT" else None
    if by_index is not None:
        for source in range(len(by_index)):
            node(source)
        edges = [(s, node(t)) for s, targets in enumerate(by_index) for t in targets]
    elif by_key is not None:
        for key, _ in by_key:
            node(key)
        edges = [(node(k), node(t)) for k, targets in by_key for t in targets]
    else:
        return None
    shown = min(len(labels), MAX_GRAPH)
    pointers = [
        (n, index[key_of(v)])
        for n, v in others.items()
        if is_primitive(v) and v is not None and not isinstance(v, bool) and key_of(v) in index
    ]
    marks = []
    for name, value in others.items():
        inner = heap_entry(heap, value)
        found = sequence_items(inner) if inner is not None else None
        if found and found[1] and all(is_primitive(x) and key_of(x) in index for x in found[1]):
            marks.append((name, found[0], tuple(index[key_of(x)] for x in found[1])))
    return Graph(
        tuple(labels[:shown]),
        tuple((a, b) for a, b in edges if a < shown and b < shown),
        len(labels),
        _sorted([(n, i) for n, i in pointers if i < shown]),
        tuple(sorted((n, t, tuple(i for i in ids if i < shown)) for n, t, ids in marks)),
    )


# Frames ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    number: int  # from 1
    step: int  # the trace step, from 1
    line: int
    func: str
    structure: Structure

    @property
    def caption(self) -> str:
        return f"step {self.step}, line {self.line}"


@dataclass
class Animation:
    var: str
    kind: Kind
    frames: list[Frame]
    steps: int  # in the trace
    present: int  # steps where the variable exists
    run: int | None = None

    def at_step(self, step: int) -> Frame:
        """The frame shown at trace step `step` (from 1): the last one that began by then."""
        if not 1 <= step <= self.steps:
            raise UsageError(
                f"no step {step}: the trace has {self.steps:,} steps",
                f"Pick a step from 1 to {self.steps}",
            )
        before = [f for f in self.frames if f.step <= step]
        return before[-1] if before else self.frames[0]


def animate(trace: Mapping[str, Any], var: str, kind: str = "auto") -> Animation:
    """Every change of the variable's structure or pointers, as frames."""
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind}", f"Use one of: {', '.join(KINDS)}")
    steps: list[Mapping[str, Any]] = list(trace.get("trace") or [])
    if not steps and stop_message(trace):
        raise SectorError(f"the trace has no steps: {stop_message(trace)}")
    spec = resolve_var(steps, var)
    hits = [(i, step, find(step, spec)) for i, step in enumerate(steps, start=1)]
    present = [(i, step, hit) for i, step, hit in hits if hit is not None]
    if not present:
        raise UsageError(f"{spec.label} never has a value in the trace", "Pick another --var")
    chosen: Kind = "value"
    if kind != "auto":
        chosen = kind  # type: ignore[assignment]
    else:
        for _, step, (value, _) in present:
            chosen = classify(value, step.get("heap") or {})
            if chosen != "value":
                break
    frames: list[Frame] = []
    for index, step, (value, scope) in present:
        structure = build(chosen, value, step.get("heap") or {}, scope, spec.name)
        if frames and frames[-1].structure == structure:
            continue
        frames.append(
            Frame(
                len(frames) + 1,
                index,
                int(step.get("line") or 0),
                str(step.get("func_name") or ""),
                structure,
            )
        )
    return Animation(spec.label, chosen, frames, len(steps), len(present), run_of(trace))


def structure_json(structure: Structure) -> dict[str, Any]:
    """A structure as plain JSON, with its kind."""
    names = {
        Array: "array",
        Table: "dict",
        Linked: "linked",
        BinaryTree: "tree",
        Graph: "graph",
        Scalar: "value",
    }
    data: dict[str, Any] = {"kind": names[type(structure)]}
    for name, value in vars(structure).items():
        if name == "pointers":
            value = [{"name": n, "at": at} for n, at in value]
        elif name == "nodes" and isinstance(structure, Linked | BinaryTree):
            keys = ("next",) if isinstance(structure, Linked) else ("left", "right")
            value = [
                {"id": c.id, "value": c.value, **dict(zip(keys, c.links, strict=True))}
                for c in value
            ]
        elif name == "marks":
            value = [{"name": n, "type": t, "nodes": list(ids)} for n, t, ids in value]
        data[name] = value
    return data


def to_json(animation: Animation, frames: Sequence[Frame] | None = None) -> dict[str, Any]:
    chosen = animation.frames if frames is None else frames
    return {
        "var": animation.var,
        "kind": animation.kind,
        "steps": animation.steps,
        "run": animation.run,
        "frames_total": len(animation.frames),
        "frames": [
            {
                "frame": f.number,
                "step": f.step,
                "line": f.line,
                "func": f.func,
                **structure_json(f.structure),
            }
            for f in chosen
        ],
    }
