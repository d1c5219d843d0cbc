"""Our widgets never overwrite an attribute Textual's own classes use.

The first TUI died on its first resize because `MesosApp.on_mount` assigned `self._timers`,
which Textual's `MessagePump` keeps its timers in (`AttributeError: 'list' object has no
attribute 'add'`). This test reads every `self.NAME = ...` in our TUI classes and every
attribute Textual's base classes of each define or assign, and fails on any name in both.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
from functools import cache

import mesos_tui.tui

# Public attributes Textual documents as ours to set.
ALLOWED = {"BINDINGS", "CSS_PATH", "TITLE", "COMPONENT_CLASSES", "DEFAULT_CSS", "can_focus",
           "styles", "border_title", "border_subtitle", "tooltip", "display", "disabled",
           "sub_title", "title", "virtual_size", "ALLOW_MAXIMIZE", "value"}


def assigned(cls: type) -> set[str]:
    """Names a class's own methods assign as `self.NAME = ...` (or annotate)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return set()
    names = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for t in targets:
            for el in (t.elts if isinstance(t, ast.Tuple) else [t]):
                if isinstance(el, ast.Attribute) and isinstance(el.value, ast.Name) and (
                        el.value.id == "self"):
                    names.add(el.attr)
    return names


@cache
def textual_names(cls: type) -> frozenset[str]:
    return frozenset(set(vars(cls)) | assigned(cls))


def our_classes() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(mesos_tui.tui.__path__, "mesos_tui.tui."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == module.__name__ and any(
                    b.__module__.startswith("textual.") for b in obj.__mro__):
                found.append(obj)
    return found


def test_no_tui_class_assigns_an_attribute_textual_uses() -> None:
    classes = our_classes()
    assert len(classes) > 10, classes  # the walk found the app, views and screens
    clashes = []
    for cls in classes:
        bases = [b for b in cls.__mro__ if b.__module__.startswith("textual.")]
        for name in sorted(assigned(cls) - ALLOWED):
            owners = [b.__qualname__ for b in bases if name in textual_names(b)]
            if owners:
                clashes.append(f"{cls.__module__}.{cls.__qualname__}.{name} (Textual's "
                               f"{', '.join(owners)})")
    assert not clashes, "attributes that shadow Textual's own:\n" + "\n".join(clashes)


def test_the_check_finds_the_bug_that_shipped() -> None:
    class Broken(mesos_tui.tui.app.MesosApp):  # type: ignore[attr-defined]
        def on_mount(self) -> None:
            self._timers = []

    bases = [b for b in Broken.__mro__ if b.__module__.startswith("textual.")]
    assert any("_timers" in textual_names(b) for b in bases)
    assert "_timers" in assigned(Broken)
