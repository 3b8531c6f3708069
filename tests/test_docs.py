"""The documentation builds with `mkdocs build --strict`: no broken links or anchors, every page in the nav."""
import pathlib
import subprocess
import sys

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent


def test_documentation_builds_without_warnings(tmp_path):
    pytest.importorskip('mkdocs', reason="mkdocs missing: pip install -e '.[docs]'")
    site = tmp_path / 'site'
    result = subprocess.run(
        [sys.executable, '-m', 'mkdocs', 'build', '--strict', '--config-file', str(REPOSITORY / 'mkdocs.yml'),
         '--site-dir', str(site)],
        capture_output=True, text=True, check=False, cwd=REPOSITORY,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # one HTML page per Markdown page
    pages = {path.stem for path in (REPOSITORY / 'docs').glob('*.md')} - {'index'}
    assert {path.parent.name for path in site.glob('*/index.html')} == pages
    assert 'conductivity_results' in (site / 'queries' / 'index.html').read_text()
