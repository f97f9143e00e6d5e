"""The house's floors (``planact.FLOORS``): every import points to the module's own floor or one below it."""

import ast
import sys
from pathlib import Path

import planact

ENGINE = Path(planact.__file__).resolve().parent
DOCS = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
FLOOR = {name: level for level, names in enumerate(planact.FLOORS) for name in names}


def _part(path: Path) -> str:
    relative = path.relative_to(ENGINE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imports(path: Path):
    """(line, first part of the planact module it names) of every import in a file, in functions too."""
    package = list(path.relative_to(ENGINE).parent.parts)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            names = (node.module.split(".") if node.module else []) or [alias.name for alias in node.names][:1]
            parts = base + names
            if parts:
                yield node.lineno, parts[0]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("planact."):
            yield node.lineno, node.module.split(".")[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("planact."):
                    yield node.lineno, alias.name.split(".")[1]


def test_every_part_of_the_engine_is_on_a_floor():
    parts = {_part(p) for p in ENGINE.rglob("*.py")} - {"__init__", "__main__"}
    assert parts <= set(FLOOR), f"parts on no floor (add them to planact.FLOORS): {sorted(parts - set(FLOOR))}"
    assert len(FLOOR) == sum(len(names) for names in planact.FLOORS)  # a part is on one floor only


def test_no_import_points_upward():
    upward = []
    for path in sorted(ENGINE.rglob("*.py")):
        source = _part(path)
        if source in ("__init__", "__main__"):
            continue
        for line, target in _imports(path):
            if target in FLOOR and FLOOR[target] > FLOOR[source]:
                upward.append(f"{path.relative_to(ENGINE)}:{line}: {source} imports {target}")
    assert not upward, "imports that point upward:\n" + "\n".join(upward)


def test_the_check_finds_an_upward_import(tmp_path, monkeypatch):
    """The test above is not blind: a browser module that imports the run floor is caught."""
    fake = tmp_path / "planact"
    (fake / "browser").mkdir(parents=True)
    (fake / "browser" / "bad.py").write_text(
        "from ..run.executor import Executor\n\ndef f():\n    from ..lang import types\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ENGINE", fake)
    found = [(line, target) for line, target in _imports(fake / "browser" / "bad.py")]
    assert found == [(1, "run"), (4, "lang")]
    assert FLOOR["run"] > FLOOR["browser"] >= FLOOR["lang"]


def test_the_architecture_page_names_every_floor_in_order():
    text = DOCS.read_text(encoding="utf-8")
    positions = [text.find(f"`engine/{names[0]}") for names in planact.FLOORS]
    assert all(p >= 0 for p in positions), [
        names[0] for names, p in zip(planact.FLOORS, positions, strict=True) if p < 0
    ]
    assert positions == sorted(positions)


def test_only_the_cli_floor_imports_click():
    """Every capability is a function a program can call: command-line code lives in ``engine/cli/`` alone."""
    clicking = []
    for path in sorted(ENGINE.rglob("*.py")):
        if _part(path) == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(n == "click" or n.startswith("click.") for n in names):
                clicking.append(f"{path.relative_to(ENGINE)}:{node.lineno}")
    assert not clicking
