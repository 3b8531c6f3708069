"""The pure-science core imports neither AiiDA nor the installer (``aiida_lps.setup``): not at import time in a fresh
interpreter, and not anywhere in its source, including imports inside functions."""
import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CORE_PACKAGES = (
    'aiida_lps.structures', 'aiida_lps.analysis', 'aiida_lps.sampling', 'aiida_lps.potentials', 'aiida_lps.plotting'
)
FORBIDDEN_PACKAGES = ('aiida', 'aiida_lps.setup')
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]

IMPORT_EVERY_CORE_MODULE = textwrap.dedent(
    f"""
    import importlib, pkgutil, sys

    def forbidden_loaded():
        return sorted(name for name in sys.modules for forbidden in {FORBIDDEN_PACKAGES!r}
                      if name == forbidden or name.startswith(forbidden + '.'))

    imported = []
    for package_name in {CORE_PACKAGES!r}:
        package = importlib.import_module(package_name)
        module_names = [package_name] + [
            info.name for info in pkgutil.walk_packages(package.__path__, prefix=package_name + '.')
        ]
        for module_name in module_names:
            importlib.import_module(module_name)
            imported.append(module_name)
            if forbidden_loaded():
                sys.exit(f'importing {{module_name}} loaded {{forbidden_loaded()}}; move that code out of the core')
    print(len(imported))
    """
)


def is_forbidden(module_name: str) -> bool:
    return any(module_name == forbidden or module_name.startswith(forbidden + '.') for forbidden in FORBIDDEN_PACKAGES)


def module_name_of(path: Path) -> str:
    """``aiida_lps/potentials/pod.py`` -> ``aiida_lps.potentials.pod`` (``__init__.py`` keeps its ``.__init__``)."""
    return '.'.join(path.relative_to(REPOSITORY_ROOT).with_suffix('').parts)


def imported_names(source: str, module_name: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, the text of module ``module_name`` (a package's
    ``__init__`` named ``package.__init__``): statements at any depth, relative ones resolved, ``from package import
    name`` also as ``package.name``, and ``importlib.import_module``/``__import__`` calls with a literal name."""
    package_parts = module_name.split('.')[:-1]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            anchor = '.'.join(package_parts[:len(package_parts) - node.level + 1])
            base = (f'{anchor}.{node.module}' if node.module else anchor) if node.level else node.module
            names += [(node.lineno, base)] + [(node.lineno, f'{base}.{alias.name}') for alias in node.names]
        elif (isinstance(node, ast.Call) and getattr(node.func, 'attr', getattr(node.func, 'id', None)) in (
                'import_module', '__import__') and node.args and isinstance(node.args[0], ast.Constant)):
            names.append((node.lineno, node.args[0].value))
    return names


def test_core_modules_import_without_aiida_or_setup():
    result = subprocess.run(
        [sys.executable, '-c', IMPORT_EVERY_CORE_MODULE],
        capture_output=True,
        text=True,
        cwd=REPOSITORY_ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    n_imported = int(result.stdout.split()[-1])
    assert n_imported > len(CORE_PACKAGES)  # the walk found the modules, not only the package __init__ files


@pytest.mark.parametrize('package_name', CORE_PACKAGES)
def test_core_source_never_imports_aiida_or_setup(package_name):
    package_dir = REPOSITORY_ROOT.joinpath(*package_name.split('.'))
    paths = sorted(package_dir.rglob('*.py'))
    assert paths, f'no Python files under {package_dir}'
    offending = [
        f'{path.relative_to(REPOSITORY_ROOT)}:{line} imports {name}'
        for path in paths for line, name in imported_names(path.read_text(), module_name_of(path)) if is_forbidden(name)
    ]
    assert not offending, 'the core must not import AiiDA or aiida_lps.setup, lazily either:\n' + '\n'.join(offending)


def test_import_scan_finds_lazy_relative_and_dynamic_imports():
    source = textwrap.dedent(
        """
        import importlib
        from . import lammps_input

        def lazy():
            from ..setup.profile import venv_bin
            from aiida_lps import setup
            import aiida.orm
            importlib.import_module('aiida.engine')
        """
    )
    names = {name for _, name in imported_names(source, 'aiida_lps.potentials.pod')}
    assert {'aiida_lps.potentials.lammps_input', 'aiida_lps.setup.profile', 'aiida_lps.setup', 'aiida.orm',
            'aiida.engine'} <= names
    assert {name for _, name in imported_names('from .pod import fit_pod', 'aiida_lps.potentials.__init__')} >= {
        'aiida_lps.potentials.pod'}
