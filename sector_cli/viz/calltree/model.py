"""The tree of calls in an execution trace (Python Tutor's format), as view models.

`build_calltree` reads the trace's `call`, `return` and `exception` steps into `Call`s: the
function, its arguments and its result as text (as they were at that moment), or the
exception that ended it. `fold` makes the view that is drawn: past `max_nodes`, identical
subtrees (same function, arguments, result and shape) are drawn once with their count
and their later occurrences folded into a reference (↺ #id), runs of identical sibling calls
are merged, and if the tree is still too big its deepest levels are folded into
"… N more calls" markers. Counts are of real calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sector_cli.errors import SectorError
from sector_cli.viz.drawing import preorder
from sector_cli.viz.trace import (
    current_frame,
    heap_entry,
    instance_parts,
    run_of,
    stop_message,
    value_text,
)

ARG_CHARS = 24  # of one argument in a label
RESULT_CHARS = 32
KEY_CHARS = 400  # of a value in a call's identity


@dataclass(eq=False)
class Call:
    """One call: `id` counts calls from 1 in the order they were made; id 0 is the
    program itself when it made several top-level calls. `depth` is 1 for a top-level call."""

    id: int
    func: str
    args: list[tuple[str, str]]
    line: int
    depth: int
    call_step: int  # from 1
    return_step: int | None = None
    return_line: int | None = None
    result: str | None = None
    raised: str | None = None
    children: list[Call] = field(default_factory=list)
    key: tuple[str, ...] = ()  # arguments and result, long form, for identity
    size: int = 1  # calls in its subtree, itself included
    parent: Call | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return f"{self.func}({', '.join(value for _, value in self.args)})"

    @property
    def outcome(self) -> str:
        if self.raised is not None:
            return f"✗ {self.raised}"
        if self.result is not None:
            return f"→ {self.result}"
        return "(running)" if self.id else ""


@dataclass
class CallTree:
    root: Call  # the one top-level call, or the program (id 0) over several
    calls: list[Call]  # all of them, by id
    steps: int
    uncaught: str | None = None
    run: int | None = None  # the recorded run the trace comes from, when known
    stopped: str | None = None  # why the trace was cut, when it was

    @property
    def depth(self) -> int:
        """Calls nested at the deepest point (the recursion's depth)."""
        return max((c.depth for c in self.calls), default=0)


def _args(frame: Mapping[str, Any], heap: Mapping[Any, Any]) -> tuple[str, list[Any]]:
    names = frame.get("ordered_varnames") or list(frame.get("encoded_locals") or {})
    local = frame.get("encoded_locals") or {}
    pairs = [(str(n), local[n]) for n in names if n in local and not str(n).startswith("__")]
    func = str(frame.get("func_name") or "?")
    if pairs and pairs[0][0] in ("self", "cls"):
        entry = heap_entry(heap, pairs[0][1])
        if entry is not None and entry[0] in ("INSTANCE", "INSTANCE_PPRINT"):
            func, pairs = f"{instance_parts(entry)[0]}.{func}", pairs[1:]
        elif entry is not None and entry[0] == "CLASS" and len(entry) > 1:
            func, pairs = f"{entry[1]}.{func}", pairs[1:]
    return func, pairs


def build_calltree(trace: Mapping[str, Any]) -> CallTree:
    steps: Sequence[Mapping[str, Any]] = trace.get("trace") or []
    if not steps and stop_message(trace):
        raise SectorError(f"the trace has no steps: {stop_message(trace)}")
    program = Call(0, "<module>", [], 0, 0, 1)
    calls: list[Call] = []
    active: list[tuple[Any, Call]] = []  # (frame id, call), innermost last
    pending: dict[Any, str] = {}  # frame id -> exception not yet handled
    uncaught = stopped = None
    for index, step in enumerate(steps, start=1):
        event = step.get("event")
        frame = current_frame(step)
        if event == "uncaught_exception":
            uncaught = str(step.get("exception_msg") or "uncaught exception")
            continue
        if event == "instruction_limit_reached":
            stopped = str(step.get("exception_msg") or "step limit reached")
            continue
        if frame is None:
            continue
        frame_id = frame.get("frame_id")
        heap = step.get("heap") or {}
        if event == "call":
            func, pairs = _args(frame, heap)
            parent = active[-1][1] if active else program
            call = Call(
                len(calls) + 1,
                func,
                [(n, value_text(v, heap, ARG_CHARS)) for n, v in pairs],
                int(step.get("line") or 0),
                parent.depth + 1,
                index,
                key=tuple(value_text(v, heap, KEY_CHARS) for _, v in pairs),
            )
            calls.append(call)
            parent.children.append(call)
            call.parent = parent
            active.append((frame_id, call))
            pending.pop(frame_id, None)
        elif event == "exception":
            pending[frame_id] = str(step.get("exception_msg") or "exception")
        elif event == "return":
            ids = [fid for fid, _ in active]
            if frame_id not in ids:
                continue
            where = len(ids) - 1 - ids[::-1].index(frame_id)
            call = active[where][1]
            del active[where:]
            call.return_step = index
            call.return_line = int(step.get("line") or 0)
            if frame_id in pending:
                call.raised = pending.pop(frame_id)
            else:
                value = (frame.get("encoded_locals") or {}).get("__return__")
                call.result = value_text(value, heap, RESULT_CHARS)
                call.key += (value_text(value, heap, KEY_CHARS),)
            if _is_class_body(call, steps, index):
                if call.parent is not None:
                    call.parent.children.remove(call)
                calls.remove(call)
        else:
            pending.pop(frame_id, None)  # a line ran: the exception was handled
    for number, call in enumerate(calls, start=1):
        call.id = number
    for call in [*reversed(calls), program]:  # ids are in pre-order: children first
        call.size = 1 + sum(child.size for child in call.children)
    root = program.children[0] if len(program.children) == 1 else program
    stopped = stopped or stop_message(trace)
    return CallTree(root, calls, len(steps), uncaught, run_of(trace), stopped)


def _is_class_body(call: Call, steps: Sequence[Mapping[str, Any]], index: int) -> bool:
    """A `class` statement's body runs as a frame: its name is a class right after."""
    if call.children or index >= len(steps) or call.args:
        return False
    after = steps[index]  # the step following the return (index counts from 1)
    value = (after.get("globals") or {}).get(call.func)
    entry = heap_entry(after.get("heap") or {}, value)
    return entry is not None and entry[0] == "CLASS" and entry[1] == call.func


# Folding --------------------------------------------------------------------------------------


@dataclass(eq=False)
class CallNode:
    """A drawn call. `repeats`: on the first occurrence of a folded subtree, how many times
    it occurs in the whole tree; `same_as`: on a later occurrence, the first one's id (its
    subtree is not drawn); `times`: identical sibling calls merged into this one; `hidden`:
    real calls under it that are not drawn (a "… N more calls" marker)."""

    call: Call
    depth: int
    children: list[CallNode] = field(default_factory=list)
    repeats: int = 1
    same_as: int | None = None
    times: int = 1
    hidden: int = 0

    @property
    def calls(self) -> int:
        """Real calls this node stands for, with its subtree."""
        return self.call.size * self.times if self.call.id else self.call.size - 1

    def walk(self) -> list[CallNode]:
        """This node and those under it, in pre-order (no recursion: trees can be deep)."""
        return preorder(self, lambda node: node.children)


@dataclass
class CallView:
    tree: CallTree
    root: CallNode
    max_nodes: int
    shown: int  # calls drawn (the program's node not counted)
    folded: bool  # identical subtrees were folded (or siblings merged)
    levels: int | None  # levels drawn when deeper ones were folded

    def nodes(self) -> list[CallNode]:
        return self.root.walk()

    def events(self) -> list[tuple[str, CallNode, int]]:
        """("call" | "return", node, trace step) for every drawn call, in trace order."""
        found = []
        for node in self.nodes():
            if node.call.id:
                found.append(("call", node, node.call.call_step))
                if node.call.return_step is not None:
                    found.append(("return", node, node.call.return_step))
        return sorted(found, key=lambda event: event[2])


def _plain(root: Call) -> CallNode:
    nodes: dict[int, CallNode] = {}
    for call in preorder(root, lambda call: call.children):
        parent = nodes.get(id(call.parent)) if call.parent is not None else None
        node = nodes[id(call)] = CallNode(call, parent.depth + 1 if parent else 0)
        if parent is not None:
            parent.children.append(node)
    return nodes[id(root)]


def fold(tree: CallTree, max_nodes: int = 200) -> CallView:
    """The view drawn within `max_nodes` calls (see the module's docstring)."""
    max_nodes = max(max_nodes, 1)
    total = len(tree.calls)
    if total <= max_nodes:
        root = _plain(tree.root)
        return CallView(tree, root, max_nodes, total, False, None)
    signatures: dict[int, int] = {}  # call id -> signature number
    interned: dict[tuple[Any, ...], int] = {}
    counts: dict[int, int] = {}
    calls = preorder(tree.root, lambda call: call.children)
    for call in reversed(calls):  # children before their parent
        parts = (
            call.func,
            call.key,
            call.raised,
            tuple(signatures[id(c)] for c in call.children),
        )
        number = signatures[id(call)] = interned.setdefault(parts, len(interned))
        counts[number] = counts.get(number, 0) + (1 if call.id else 0)
    first: dict[int, int] = {}  # signature -> id of the call drawn in full
    root = CallNode(tree.root, 0, repeats=counts[signatures[id(tree.root)]] if tree.root.id else 1)
    if tree.root.id:
        first[signatures[id(tree.root)]] = tree.root.id
    todo = [(child, root) for child in reversed(tree.root.children)]
    while todo:  # pre-order, so that the first occurrence is the first made
        call, parent = todo.pop()
        signature = signatures[id(call)]
        previous = parent.children[-1] if parent.children else None
        if previous is not None and signatures[id(previous.call)] == signature:
            previous.times += 1  # identical to the sibling just before: merged into it
            continue
        if signature in first:
            node = CallNode(call, parent.depth + 1, same_as=first[signature], hidden=call.size - 1)
            parent.children.append(node)
            continue
        first[signature] = call.id
        node = CallNode(call, parent.depth + 1, repeats=counts[signature])
        parent.children.append(node)
        todo.extend((child, node) for child in reversed(call.children))
    drawn = [n for n in root.walk() if n.call.id]
    levels = None
    if len(drawn) > max_nodes:
        levels = _cut_levels(root, max_nodes) + (1 if root.call.id else 0)
        drawn = [n for n in root.walk() if n.call.id]
        ids = {n.call.id for n in drawn if n.same_as is None}
        for node in drawn:  # a reference to a call that is folded away stands alone
            if node.same_as is not None and node.same_as not in ids:
                node.same_as = None
    merged = any(n.repeats > 1 or n.same_as is not None or n.times > 1 for n in drawn)
    return CallView(tree, root, max_nodes, len(drawn), merged, levels)


def _cut_levels(root: CallNode, max_nodes: int) -> int:
    """Fold the deepest levels into their parents' `hidden`; returns the levels kept. The
    first level too wide for the budget is cut part-way, left to right."""
    by_depth: dict[int, list[CallNode]] = {}
    for node in root.walk():
        by_depth.setdefault(node.depth, []).append(node)
    counted = 0 if root.call.id == 0 else 1
    keep_depth, budget = root.depth, max_nodes - counted
    for depth in sorted(by_depth):
        if depth == root.depth:
            continue
        level = by_depth[depth]
        if len(level) <= budget:
            budget -= len(level)
            keep_depth = depth
            continue
        if keep_depth == root.depth:
            allowed = {id(n) for n in level[: max(budget, 0)]}
            kept_any = bool(allowed)
            for parent in by_depth[depth - 1]:
                kept = [c for c in parent.children if id(c) in allowed]
                parent.hidden += sum(c.calls for c in parent.children if id(c) not in allowed)
                for child in kept:
                    _drop_children(child)
                parent.children = kept
            return depth if kept_any else depth - 1
        break
    for node in by_depth.get(keep_depth, []):
        _drop_children(node)
    return keep_depth


def _drop_children(node: CallNode) -> None:
    node.hidden += sum(child.calls for child in node.children)
    node.children = []


# JSON -----------------------------------------------------------------------------------------


def node_json(node: CallNode) -> dict[str, Any]:
    call = node.call
    data: dict[str, Any] = {
        "id": call.id,
        "call": call.label,
        "func": call.func,
        "args": [{"name": n, "value": v} for n, v in call.args],
        "result": call.result,
        "raised": call.raised,
        "line": call.line,
        "step": call.call_step,
        "return_step": call.return_step,
        "return_line": call.return_line,
    }
    if node.repeats > 1:
        data["repeats"] = node.repeats
    if node.same_as is not None:
        data["same_as"] = node.same_as
    if node.times > 1:
        data["times"] = node.times
    if node.hidden:
        data["hidden_calls"] = node.hidden
    data["children"] = [node_json(child) for child in node.children]
    return data


def to_json(view: CallView) -> dict[str, Any]:
    return {
        "calls": len(view.tree.calls),
        "shown": view.shown,
        "max_nodes": view.max_nodes,
        "max_depth": view.tree.depth,
        "folded": view.folded,
        "levels": view.levels,
        "steps": view.tree.steps,
        "uncaught": view.tree.uncaught,
        "run": view.tree.run,
        "stopped": view.tree.stopped,
        "tree": node_json(view.root),
    }
