"""An HTML report page as the tests see it, parsed directly or after headless Chromium loaded it."""
import shutil
import subprocess
from html.parser import HTMLParser

import pytest


class Page(HTMLParser):
    """The parts of a report the tests look at: body attributes, images, tables (captions, cells) and any URLs."""

    def __init__(self, text: str):
        super().__init__()
        self.body, self.images, self.tables, self.urls, self.tags = {}, [], [], [], set()
        self._cell, self._caption = None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self.urls += [value for name, value in attrs.items() if name in ('src', 'href') and not value.startswith('#')]
        if tag == 'body':
            self.body = attrs
        elif tag == 'img':
            self.images.append(attrs)
        elif tag == 'table':
            self.tables.append({'caption': '', 'rows': []})
        elif tag == 'caption':
            self._caption = ''
        elif tag == 'tr':
            self.tables[-1]['rows'].append([])
        elif tag in ('td', 'th'):
            self._cell = {'attrs': attrs, 'text': ''}

    def handle_endtag(self, tag):
        if tag == 'caption':
            self.tables[-1]['caption'], self._caption = self._caption, None
        elif tag in ('td', 'th'):
            self.tables[-1]['rows'][-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell['text'] += data
        if self._caption is not None:
            self._caption += data

    def table(self, caption_start: str) -> list:
        """Body rows (header row dropped) of the table whose caption starts with ``caption_start``."""
        matches = [table for table in self.tables if table['caption'].startswith(caption_start)]
        assert len(matches) == 1, [table['caption'] for table in self.tables]
        return matches[0]['rows'][1:]


def chromium_dom(path, tmp_path) -> Page:
    """The DOM of ``path`` after Chromium loaded it (and ran its script), parsed."""
    browser = shutil.which('chromium') or shutil.which('chromium-browser')
    if browser is None:
        pytest.skip('no `chromium` or `chromium-browser` on PATH: install the Debian package `chromium`')
    result = subprocess.run(
        [browser, '--headless', '--no-sandbox', '--disable-gpu', f'--user-data-dir={tmp_path / "chromium"}',
         '--virtual-time-budget=10000', '--dump-dom', path.resolve().as_uri()],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return Page(result.stdout)
