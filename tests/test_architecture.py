"""The apps' layers (ARCHITECTURE.md) hold, so that no import loop between apps can come back."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CONTRACT = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LAYERS = CONTRACT["contracts"][0]["layers"]


def _project_apps() -> set[str]:
    """The project's own apps: top-level packages of this repository."""
    return {config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT}


def test_every_project_app_has_its_place_in_the_layers():
    assert set(CONTRACT["root_packages"]) == set(LAYERS) == _project_apps()


def test_import_linter_layers_contract_is_kept():
    # The same check as ./scripts/run-tests; the linter runs in its own process, as there.
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(  # noqa: S603 - a fixed command of our own virtualenv, no user input
        [str(lint_imports), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def _imports_inside_functions(path: Path):
    """(line, imported module) for every import statement inside a function or method."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                yield from ((node.lineno, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield node.lineno, node.module


def test_no_app_imports_another_app_inside_a_function():
    """An import tucked into a function to dodge a loop is still a loop: imports between apps go at
    the top of the module, where import-linter and a reader see them."""
    found = []
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "tests" in path.relative_to(ROOT).parts:
                continue
            for line, module in _imports_inside_functions(path):
                if module.split(".")[0] in LAYERS and module.split(".")[0] != app:
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert found == []


def test_the_in_function_import_check_sees_imports_in_methods(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text("class A:\n    def f(self):\n        from surveys.services import x\n        import cohorts\n")

    assert list(_imports_inside_functions(module)) == [(3, "surveys.services"), (4, "cohorts")]


def test_every_app_with_tests_is_in_pytest_testpaths():
    """A bare ``pytest`` (the README's test command) collects only ``testpaths``: an app left out of it
    would have its tests silently never run in CI."""
    import configparser
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    config = configparser.ConfigParser()
    config.read(root / "pytest.ini")
    testpaths = set(config["pytest"]["testpaths"].split())
    with_tests = {path.parent.parent.name for path in root.glob("*/tests/__init__.py")}
    assert with_tests - testpaths == set()
