"""A self-contained HTML report: tables and PNG figures whose every value names the stored node it came from.

No AiiDA here: the caller describes the page with :class:`Section`, :class:`Table` and :class:`Figure`, and every
value read from a node goes in as a :class:`Cell` made by :func:`from_node` with that node's :class:`Source` (its
PK and UUID). Plain ``str`` cells are labels; a bare number is refused, so no number reaches the page without its
node. The page is one file: inline CSS, figures as base64 ``data:`` URIs, and a few lines of inline script that mark
``<body>`` with ``data-images-loaded="true"`` once every image has decoded (``"false"`` otherwise), so that a
headless browser can check the page.
"""
from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ('Cell', 'Figure', 'Section', 'Source', 'Table', 'format_value', 'from_node', 'node_reference',
           'render_report', 'write_report')

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
MISSING = '—'
"""Shown for a value the node holds as None (not computed, e.g. a Haven ratio without a significant D_sigma)."""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 75em; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; border-bottom: 1px solid #ccc; margin-top: 2em; }
div.wide { overflow-x: auto; } table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.node { font-family: monospace; font-size: 0.85em; color: #555; white-space: nowrap; }
.status { color: #555; } .warning { color: #a40; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #444; }
"""

IMAGE_CHECK = """
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (image) { return !(image.complete && image.naturalWidth > 0); });
  document.body.setAttribute('data-images-total', String(images.length));
  document.body.setAttribute('data-images-broken', String(broken.length));
  document.body.setAttribute('data-images-loaded', broken.length === 0 ? 'true' : 'false');
});
"""


@dataclass(frozen=True)
class Source:
    """A stored node: ``pk``, ``uuid``, its ``kind`` (e.g. ``Dict``) and the link ``name`` it was reached by."""

    pk: int
    uuid: str
    kind: str = 'node'
    name: str = ''

    @property
    def title(self) -> str:
        """Tooltip text: kind, link name, PK and the full UUID."""
        return f'{" ".join(filter(None, (self.kind, self.name)))} {self.pk}, uuid {self.uuid}'

    def attributes(self) -> str:
        """``title``, ``data-pk`` and ``data-uuid`` attributes naming the node."""
        return f'title="{html.escape(self.title)}" data-pk="{self.pk}" data-uuid="{self.uuid}"'

    def html(self) -> str:
        """``<kind> <pk> (<first 8 characters of the uuid>...)``, with the link name and full UUID as tooltip."""
        return (f'<span class="node" {self.attributes()}>{html.escape(self.kind)} {self.pk} '
                f'({self.uuid[:8]}&hellip;)</span>')


@dataclass(frozen=True)
class Cell:
    """A table cell holding a value read from the node ``source``; ``numeric`` cells are right-aligned.

    ``reference`` cells show the node itself (``<kind> <pk> (<uuid>...)``) instead of a value.
    """

    text: str
    source: Source
    numeric: bool = False
    reference: bool = False


def format_value(value, error=None) -> str:
    """``value`` as shown in a cell; bools as yes/no, None as a dash.

    Numbers get 4 significant digits, and at least 2 decimals below 10^6 (a total energy of -3886.1234 eV shows
    as -3886.12, not -3886); the error gets 2 significant digits.

    :param value: a number, bool, str or None.
    :param error: the standard error of ``value`` (same unit), or None.
    """
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, str):
        return value
    integer_digits = len(str(int(abs(value)))) if math.isfinite(value) else 1
    text = f'{value:.{max(4, integer_digits + 2)}g}' if integer_digits <= 6 else f'{value:.4g}'
    if error is not None and math.isfinite(error):
        text += f' ± {error:.2g}'
    return text


def from_node(value, source: Source, error=None) -> Cell:
    """A cell showing ``value`` (``+-`` ``error``) read from the node ``source``; see :func:`format_value`."""
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    return Cell(format_value(value, error), source, numeric=numeric)


def node_reference(source: Source) -> Cell:
    """A cell that names the node ``source`` (e.g. the GAP of a generation)."""
    return Cell('', source, reference=True)


@dataclass
class Table:
    """A table: ``columns`` (header texts, with units) and ``rows`` of :class:`Cell` or plain label ``str``.

    A last column lists the nodes the row's values came from.
    """

    caption: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)

    def html(self) -> str:
        header = ''.join(f'<th>{html.escape(column)}</th>' for column in (*self.columns, 'from node'))
        body = ''.join(self._row(row) for row in self.rows)
        return (f'<div class="wide"><table><caption>{html.escape(self.caption)}</caption><thead><tr>{header}</tr>'
                f'</thead><tbody>{body}</tbody></table></div>')

    def _row(self, row: tuple) -> str:
        if len(row) != len(self.columns):
            raise ValueError(f'table `{self.caption}`: a row has {len(row)} cells for {len(self.columns)} columns')
        cells, sources = [], []
        for cell in row:
            if isinstance(cell, str):
                cells.append(f'<td>{html.escape(cell)}</td>')
                continue
            if not isinstance(cell, Cell):
                raise TypeError(f'table `{self.caption}`: {cell!r} is not a Cell; wrap values read from a node with '
                                'from_node(value, source) so that the page names the node')
            if cell.reference:
                cells.append(f'<td>{cell.source.html()}</td>')
                continue
            if cell.source not in sources:
                sources.append(cell.source)
            css = ' class="num"' if cell.numeric else ''
            cells.append(f'<td{css} {cell.source.attributes()}>{html.escape(cell.text)}</td>')
        cells.append(f'<td>{"<br>".join(source.html() for source in sources)}</td>')
        return f'<tr>{"".join(cells)}</tr>'


@dataclass
class Figure:
    """A PNG image (``png``: the file's bytes) stored as the node ``source``."""

    caption: str
    png: bytes
    source: Source

    def html(self) -> str:
        if not self.png.startswith(PNG_SIGNATURE):
            raise ValueError(f'figure `{self.caption}` (node {self.source.pk}) is not a PNG file: only PNG is embedded')
        data = base64.b64encode(self.png).decode('ascii')
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(self.caption)}" '
                f'{self.source.attributes()}>'
                f'<figcaption>{html.escape(self.caption)} &mdash; {self.source.html()}</figcaption></figure>')


@dataclass
class Section:
    """The part of the page about one workflow ``source``: a status line, notes, tables and figures."""

    title: str
    source: Source
    status: str
    anchor: str
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    warning: bool = False

    def html(self) -> str:
        status_class = 'status warning' if self.warning else 'status'
        parts = [f'<section id="{html.escape(self.anchor)}"><h2>{html.escape(self.title)}</h2>',
                 f'<p class="{status_class}">{self.source.html()}: {html.escape(self.status)}</p>']
        parts += [f'<p>{html.escape(note)}</p>' for note in self.notes]
        parts += [table.html() for table in self.tables]
        parts += [figure.html() for figure in self.figures]
        parts.append('</section>')
        return '\n'.join(parts)


def render_report(title: str, subject: Source, sections: list[Section], footer: str) -> str:
    """The whole page as one HTML string.

    :param title: page title, e.g. the workflow's process label.
    :param subject: the node the report is about.
    :param sections: one per workflow found at or below ``subject``.
    :param footer: e.g. when and with which package version the page was written.
    """
    contents = ''.join(f'<li><a href="#{html.escape(section.anchor)}">{html.escape(section.title)}</a> '
                       f'{section.source.html()}</li>' for section in sections)
    body = '\n'.join(section.html() for section in sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body data-images-loaded="pending">
<header><h1>{html.escape(title)}</h1><p>Report of {subject.html()}. Hover a value for the UUID of the node it
was read from; <code>verdi node show &lt;pk&gt;</code> shows the node.</p><ul>{contents}</ul></header>
{body}
<footer><p class="status">{html.escape(footer)}</p></footer>
<script>{IMAGE_CHECK}</script>
</body>
</html>
"""


def write_report(path, title: str, subject: Source, sections: list[Section], footer: str) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8); return the path."""
    path = Path(path)
    path.write_text(render_report(title, subject, sections, footer), encoding='utf-8')
    return path
