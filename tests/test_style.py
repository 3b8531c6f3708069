"""Style: ``ruff check`` (settings in pyproject.toml's [tool.ruff]) finds nothing in the package, tests,
benchmarks and examples."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ('aiida_lps', 'tests', 'benchmarks', 'examples')


def _ruff() -> str | None:
    """The ruff next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name('ruff')
    return str(beside) if beside.is_file() else shutil.which('ruff')


def test_ruff_finds_nothing():
    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[tests]')")
    result = subprocess.run(
        [ruff, 'check', '--no-cache', '--output-format', 'concise', *CHECKED],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, f'ruff check {" ".join(CHECKED)}:\n{result.stdout}{result.stderr}'
