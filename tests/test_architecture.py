"""The house rules of DESIGN.md / the README's Architecture section, checked on the source itself.

Imports are read with :mod:`ast` (function-level imports included), so a lazy upward import counts as well.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "relive"

# Lower number = lower layer; a module may import from its own layer or below, never above. ``backends`` holds every
# model family (its sub-package ``backends.fusion`` included), so pet, avatar and carousel load models from below.
LAYERS = {"ui": 3, "commands": 3, "__main__": 3, "pet": 2, "avatar": 2, "carousel": 2, "backends": 1}
BOTTOM = 1  # config, errors, genres, imaging, retention, csvfiles, testing: the top-level modules


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.get(parts[1], BOTTOM) if len(parts) > 1 else BOTTOM


def _relive_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("relive") and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("relive"))
    return found


def _third_party_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_from_a_higher_layer(path):
    here = _module_name(path)
    upward = sorted(m for m in _relive_imports(path) if _layer(m) > _layer(here))
    assert not upward, f"{here} (layer {_layer(here)}) imports from a higher layer: {upward}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_ui_and_commands_stay_apart_and_the_app_never_imports_training(path):
    here, imports = _module_name(path), _relive_imports(path)
    if here.startswith("relive.ui"):
        assert not any(m.startswith("relive.commands") for m in imports), here
    if here.startswith("relive.commands"):
        assert not any(m.startswith("relive.ui") for m in imports), here
    if here.startswith("relive.carousel") and not here.startswith("relive.carousel.training"):
        assert not any(m.startswith("relive.carousel.training") for m in imports), here


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_ui_knows_gradio(path):
    if not _module_name(path).startswith("relive.ui"):
        assert "gradio" not in _third_party_imports(path), _module_name(path)


def test_no_folder_holds_more_than_30_percent_of_the_library():
    lines: dict[Path, int] = {}
    for path in SOURCES:
        lines[path.parent] = lines.get(path.parent, 0) + len(path.read_text().splitlines())
    total = sum(lines.values())
    heavy = {str(folder.relative_to(PACKAGE.parent)): f"{count / total:.0%}" for folder, count in lines.items()
             if count > 0.3 * total}
    assert not heavy, f"folders over 30 % of {total} lines: {heavy}"


@pytest.mark.slow
def test_importing_the_ui_loads_no_training_module():
    code = ("import sys, relive.ui; "
            "print(sorted(m for m in sys.modules if m.startswith('relive.carousel.training')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout


def _decorator_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        for decorator in getattr(node, "decorator_list", []):
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


BACKENDS = sorted((PACKAGE / "backends").rglob("*.py"))


@pytest.mark.parametrize("path", BACKENDS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_model_families_keep_no_cache_of_their_own(path):
    """Every loaded model sits in relive.backends.cache.MODELS (one policy), never in a functools cache."""
    assert not _decorator_names(ast.parse(path.read_text())) & {"lru_cache", "cache"}, path


def test_fuse_calls_every_fusion_model_the_same_way():
    tree = ast.parse((PACKAGE / "carousel" / "fuse.py").read_text())
    switches = [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "isinstance" and "Fusion" in ast.unparse(node.args[1])]
    assert not switches, f"fuse switches on the model class: {switches}"


def _undocumented(tree: ast.AST, prefix: str = "") -> list[str]:
    """Public functions, classes and methods (of public classes) without a docstring; nested functions are private."""
    found = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            if ast.get_docstring(node) is None:
                found.append(f"{prefix}{node.name} (line {node.lineno})")
            if isinstance(node, ast.ClassDef):
                found += _undocumented(node, f"{prefix}{node.name}.")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_public_function_and_class_has_a_docstring(path):
    missing = _undocumented(ast.parse(path.read_text()))
    assert not missing, f"{_module_name(path)}: add a one-line docstring (what and why) to {missing}"
