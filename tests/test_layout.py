"""The repository's layout rules, read from the import statements of every module:
the library never imports configs or drivers, nothing imports a config file,
and no two modules import each other (directly or round a longer loop)."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("alexnet", "baselines", "reporting", "drivers", "scripts", "experiments")
LIBRARY = ("alexnet", "baselines", "reporting")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py"))}


def _imports(path: Path, known: set[str]) -> set[str]:
    """Repository modules `path` imports, anywhere in the file (deferred imports count).

    `from package import name` counts as importing the submodule package.name
    when there is one, else the package itself.
    """
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{alias.name}" for alias in node.names} & known
            found.update(subs or {node.module})
    return {name for name in found if name.split(".")[0] in PACKAGES}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, set(modules)) for name, path in modules.items()}


def test_the_library_imports_no_config_and_no_driver():
    offending = {name: sorted(i for i in deps if i.split(".")[0] in ("experiments", "drivers"))
                 for name, deps in _graph().items() if name.split(".")[0] in LIBRARY}
    assert {k: v for k, v in offending.items() if v} == {}


def test_nothing_imports_a_config_file():
    # Configs are loaded by path (alexnet.config.load_config), never imported.
    importers = {name: sorted(d for d in deps if d.split(".")[0] == "experiments")
                 for name, deps in _graph().items()}
    assert {k: v for k, v in importers.items() if v} == {}
    assert not (REPO / "experiments" / "__init__.py").exists()
    tests = {str(p.relative_to(REPO)): sorted(d for d in _imports(p, set()) if d.split(".")[0] == "experiments")
             for p in (REPO / "tests").rglob("*.py")}
    assert {k: v for k, v in tests.items() if v} == {}


def test_no_import_cycles():
    graph = _graph()
    # A package's __init__ re-exporting its submodules is not a cycle with them.
    edges = {name: {d for d in deps if d in graph and not d.startswith(name + ".") and not name.startswith(d + ".")}
             for name, deps in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(edges[node]):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_import_reader_sees_a_cycle_and_a_library_import(tmp_path):
    """The rules above would catch what they are about (a check that cannot fail is no check)."""
    graph = _graph()
    assert "alexnet.trainer" in graph["alexnet.loop"] and "alexnet.defaults" in graph["alexnet.train"]
    assert "alexnet.data.transforms" in graph["alexnet.data.pipeline"]
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from experiments.common import option\n    import drivers.reproduce\n")
    assert _imports(bad, set()) == {"experiments.common", "drivers.reproduce"}


def test_every_module_with_a_main_runs_it_under_python_dash_m():
    # `python -m drivers.scaling` once did nothing at all: its main() was never called.
    # A main may instead be run by a command module that imports it (alexnet.data.colour_stats).
    trees = {name: ast.parse(path.read_text(), str(path)) for name, path in _modules().items()}
    run_elsewhere = {n.module for tree in trees.values() for n in ast.walk(tree)
                     if isinstance(n, ast.ImportFrom) and any(a.name == "main" for a in n.names)}
    silent = []
    for name, tree in trees.items():
        has_main = any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body)
        guarded = any(isinstance(n, ast.If) and "__main__" in ast.unparse(n.test) for n in tree.body)
        if has_main and not guarded and name not in run_elsewhere:
            silent.append(name)
    assert silent == []
