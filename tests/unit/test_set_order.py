"""No decision of payctl may depend on the iteration order of a set (issue "Trust first", 4).

The order of a set of strings (and of str enums such as InvoiceType) changes with
PYTHONHASHSEED, so iterating one can decide a match, an output order, a number or an error
message differently from run to run. This scanner finds every loop, comprehension or
ordering call over a set expression written in payctl/** (a set display or comprehension,
``set(...)``, ``frozenset(...)``, or ``|``/``&``/``-`` of those) and accepts only consumers
that do not care about order: ``sorted``, ``min``, ``max``, ``sum``, ``len``, ``any``, ``all``
and building another set. Anything else must sort by a documented key first.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDER_FREE = {"sorted", "min", "max", "sum", "len", "any", "all", "set", "frozenset"}
ORDERED_CONSUMERS = {
    "list",
    "tuple",
    "iter",
    "next",
    "enumerate",
    "zip",
    "dict",
    "fromkeys",
    "join",
    "extend",
    "append",
}


def _is_set(node: ast.AST) -> bool:
    if isinstance(node, ast.Set | ast.SetComp):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in {"set", "frozenset"}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr | ast.BitAnd | ast.Sub):
        return _is_set(node.left) or _is_set(node.right)
    return False


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


def set_order_uses(source: str) -> list[int]:
    """Line numbers where the order of a set expression can leak out."""
    tree = ast.parse(source)
    parent = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.AsyncFor) and _is_set(node.iter):
            found.append(node.iter.lineno)
        elif isinstance(node, ast.comprehension) and _is_set(node.iter):
            comp = parent[node]
            if isinstance(comp, ast.SetComp):
                continue
            outer = parent.get(comp)
            if isinstance(comp, ast.GeneratorExp) and _call_name(outer) in ORDER_FREE:
                continue
            found.append(node.iter.lineno)
        elif _call_name(node) in ORDERED_CONSUMERS:
            assert isinstance(node, ast.Call)
            found += [a.lineno for a in node.args if _is_set(a)]
    return sorted(found)


def test_the_scanner_sees_set_order_leaking():
    source = (
        "for kind in {i.type for i in items}: pass\n"
        "first = [k for k in set(names)]\n"
        "text = ', '.join(set(a) - set(b))\n"
        "ok = sorted(set(a) | set(b))\n"
        "ok = sorted(p for p in set(a) | set(b) if p)\n"
        "ok = {x for x in set(a)}\n"
        "ok = len(set(a)) == len(a)\n"
        "bad = {k: 1 for k in set(a)}\n"
    )
    assert set_order_uses(source) == [1, 2, 3, 8]


@pytest.mark.parametrize(
    "path", sorted((ROOT / "payctl").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_set_order_decides_anything(path):
    lines = set_order_uses(path.read_text(encoding="utf-8"))
    assert not lines, (
        f"{path.relative_to(ROOT)} line(s) {lines}: iterates a set; sort it by a documented "
        "key (set order changes with PYTHONHASHSEED)"
    )
