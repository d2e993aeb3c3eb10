"""The static check behind "views query models only through the visibility gate" (apps/core/visibility.py).

It reads the source of an app's HTTP layer (``apps/<app>/api/``) and flags every way of reaching a table
around the gate: ``<Model>.objects``, ``<Model>._default_manager`` / ``_base_manager`` (also on
``get_user_model()``), ``get_object_or_404(<Model>, …)`` / ``get_list_or_404`` on anything but a
``visible(…)`` queryset — which covers ``queryset = <Model>.objects…`` on a view and
``PrimaryKeyRelatedField(queryset=<Model>.objects…)`` in a serializer, where a client's reference would be
looked up in the whole table. The one exception is a ``Prefetch(…)`` of a visible parent's children: the
rows hang off records the gate already admitted.
"""

import ast
from pathlib import Path

MANAGERS = {"objects", "_default_manager", "_base_manager"}
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}
GATE = {"visible", "visible_get", "visible_get_or_404", "visible_many"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return f"{_name(node.func)}()"
    return type(node).__name__


def _starts_from_gate(node: ast.AST) -> bool:
    """Whether an expression is (a chain of calls on) ``visible(…)``."""
    while True:
        if isinstance(node, ast.Call):
            if _name(node.func) in GATE:
                return True
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return False


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []
        self._in_prefetch = 0

    def visit_Call(self, node: ast.Call) -> None:
        called = _name(node.func)
        if called in SHORTCUTS and node.args and not _starts_from_gate(node.args[0]):
            self.found.append((node.lineno, f"{called}({_name(node.args[0])}, …)"))
        if called == "Prefetch":
            self._in_prefetch += 1
            self.generic_visit(node)
            self._in_prefetch -= 1
            return
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in MANAGERS and not self._in_prefetch:
            self.found.append((node.lineno, f"{_name(node.value)}.{node.attr}"))
        self.generic_visit(node)


def violations_in_source(source: str) -> list[tuple[int, str]]:
    finder = _Finder()
    finder.visit(ast.parse(source))
    return sorted(finder.found)


def api_modules(apps_dir: Path) -> list[Path]:
    """Every module of every app's HTTP layer but its URL conf."""
    return sorted(p for p in apps_dir.glob("*/api/**/*.py") if p.name not in {"urls.py", "__init__.py"})


def violations(apps_dir: Path) -> list[str]:
    root = apps_dir.parent
    return [
        f"{path.relative_to(root)}:{line}: {what}"
        for path in api_modules(apps_dir)
        for line, what in violations_in_source(path.read_text(encoding="utf-8"))
    ]
