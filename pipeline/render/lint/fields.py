"""Find the fields a template uses that its sample data does not have (`udvalg.navnet`).

Jinja itself only knows which top-level variables a template uses. This walk over Jinja's
tree follows each value through the sample context instead: loop variables (`r` in
`{% for r in gennemfoert %}`), indexes (`indsatser[0]`), slices and filters that keep a list
(`sort`) or pick an item of it (`first`). Dates, text and dicts with open-ended keys (`ekstra`)
are not checked: the sample has no fields to hold them against.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from jinja2 import nodes

# Filters whose result the walk can still follow: an item of the list, or the list itself.
_ITEM_FILTERS = {"first", "last", "random", "min", "max"}
_LIST_FILTERS = {"sort", "reverse", "list", "unique", "select", "reject", "selectattr", "rejectattr",
                 "default", "d"}
_MISSING = object()  # a value the walk cannot follow


class UnknownField(NamedTuple):
    """`expression.name` where `expression` has no field `name`."""

    line: int
    expression: str  # as written, e.g. `indsatser[0]`
    name: str
    known: Any  # the sample value: a dict of the fields it has, or a list (which has no fields)


def unknown_fields(tree: nodes.Template, context: dict[str, Any]) -> list[UnknownField]:
    """Return each `x.field` (or `x["field"]`) in `tree` whose value in `context` has no such field."""
    walk = _Walk()
    walk.visit(tree, dict(context))
    return walk.found


class _Walk:
    """Walks a template's tree with a scope of sample values, noting the unknown fields it meets."""

    def __init__(self) -> None:
        self.found: list[UnknownField] = []

    # --- Statements ------------------------------------------------------------------------------

    def visit(self, node: nodes.Node, scope: dict[str, Any]) -> None:
        """Walk a statement; assignments change `scope`, loops and macros walk their bodies in their own."""
        if isinstance(node, nodes.Expr):
            self.evaluate(node, scope)
        elif isinstance(node, nodes.For):
            self._loop(node, scope)
        elif isinstance(node, nodes.Assign):
            value, _ = self.evaluate(node.node, scope)
            for target in _names(node.target):
                scope[target] = value if isinstance(node.target, nodes.Name) else _MISSING
        elif isinstance(node, (nodes.Macro, nodes.CallBlock)):
            inner = dict(scope)
            for argument in getattr(node, "args", []):
                inner[argument.name] = _MISSING
            for child in node.body:
                self.visit(child, inner)
        else:
            if isinstance(node, nodes.AssignBlock):
                for target in _names(node.target):
                    scope[target] = _MISSING
            for child in node.iter_child_nodes():
                self.visit(child, scope)

    def _loop(self, node: nodes.For, scope: dict[str, Any]) -> None:
        """Walk a loop's body with its variable bound to the list's first item, and its `else` outside."""
        items, _ = self.evaluate(node.iter, scope)
        inner = dict(scope, loop=_MISSING)
        for target in _names(node.target):
            inner[target] = _MISSING
        if isinstance(node.target, nodes.Name) and isinstance(items, list) and items:
            inner[node.target.name] = items[0]
        for child in (*node.body, *([node.test] if node.test else [])):
            self.visit(child, inner)
        for child in node.else_:
            self.visit(child, scope)

    # --- Expressions -----------------------------------------------------------------------------

    def evaluate(self, node: nodes.Node, scope: dict[str, Any]) -> tuple[Any, str | None]:
        """Return the sample value an expression stands for (or _MISSING), and its text when it is followed."""
        if isinstance(node, nodes.Name):
            return scope.get(node.name, _MISSING), node.name
        if isinstance(node, nodes.Getattr):
            base, text = self.evaluate(node.node, scope)
            return self._field(base, text, node.attr, node)
        if isinstance(node, nodes.Getitem):
            return self._item(node, scope)
        if isinstance(node, nodes.Filter):
            return self._filter(node, scope)
        for child in node.iter_child_nodes():
            if isinstance(child, nodes.Expr):
                self.evaluate(child, scope)
            else:
                self.visit(child, scope)
        return _MISSING, None

    def _field(self, base: Any, text: str | None, key: str, node: nodes.Node) -> tuple[Any, str | None]:
        """Return `base.key`, noting it when `base` is sample data without that field."""
        if isinstance(base, dict) and base:
            if key in base:
                return base[key], f"{text}.{key}" if text else None
            if text:
                self.found.append(UnknownField(node.lineno, text, key, base))
        elif isinstance(base, list) and base and text:
            self.found.append(UnknownField(node.lineno, text, key, base))
        return _MISSING, None

    def _item(self, node: nodes.Getitem, scope: dict[str, Any]) -> tuple[Any, str | None]:
        """Return `base["key"]` as a field, `base[0]` (any index: the sample's first item) or `base[1:]`."""
        base, text = self.evaluate(node.node, scope)
        argument = node.arg
        if isinstance(argument, nodes.Const) and isinstance(argument.value, str):
            return self._field(base, text, argument.value, node)
        if isinstance(argument, nodes.Const) and isinstance(argument.value, int) \
                and not isinstance(argument.value, bool):
            item = base[0] if isinstance(base, list) and base else _MISSING
            return item, f"{text}[{argument.value}]" if text else None
        self.evaluate(argument, scope)
        if isinstance(argument, nodes.Slice):
            return (base, text) if isinstance(base, list) else (_MISSING, None)
        return (base[0] if isinstance(base, list) and base else _MISSING), None

    def _filter(self, node: nodes.Filter, scope: dict[str, Any]) -> tuple[Any, str | None]:
        """Return what a filter leaves of a list: an item of it, the list itself, or nothing to follow."""
        base, text = self.evaluate(node.node, scope) if node.node is not None else (_MISSING, None)
        for child in (*node.args, *node.kwargs, *filter(None, (node.dyn_args, node.dyn_kwargs))):
            self.evaluate(child, scope)
        if isinstance(base, list) and base and node.name in _ITEM_FILTERS:
            return base[0], None
        if node.name in _LIST_FILTERS:
            return base, text
        return _MISSING, None


def _names(target: nodes.Node) -> list[str]:
    """Return the names an assignment or loop target binds (`x`, or `k, v`)."""
    if isinstance(target, nodes.Name):
        return [target.name]
    return [name.name for name in target.find_all(nodes.Name)]
