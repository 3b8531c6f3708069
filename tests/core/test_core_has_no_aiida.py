"""The pure-science core (structures, analysis, sampling, potentials) imports without AiiDA, in a fresh interpreter."""
import subprocess
import sys
import textwrap
from pathlib import Path

CORE_PACKAGES = ('aiida_lps.structures', 'aiida_lps.analysis', 'aiida_lps.sampling', 'aiida_lps.potentials')
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]

IMPORT_EVERY_CORE_MODULE = textwrap.dedent(
    f"""
    import importlib, pkgutil, sys

    def aiida_loaded():
        return any(name == 'aiida' or name.startswith('aiida.') for name in sys.modules)

    imported = []
    for package_name in {CORE_PACKAGES!r}:
        package = importlib.import_module(package_name)
        module_names = [package_name] + [
            info.name for info in pkgutil.walk_packages(package.__path__, prefix=package_name + '.')
        ]
        for module_name in module_names:
            importlib.import_module(module_name)
            imported.append(module_name)
            if aiida_loaded():
                sys.exit(f'importing {{module_name}} loaded aiida; move the AiiDA code out of the core')
    print(len(imported))
    """
)


def test_core_modules_import_without_aiida():
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
