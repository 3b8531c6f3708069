"""Formation energy versus composition with the lower convex hull (style of Fig. 5 of H. Guo, Q. Wang,
A. Urban, N. Artrith, Chem. Mater. (2022), doi:10.1021/acs.chemmater.2c00267).

Crystals are blue squares, GA structures green crosses and AIMD structures orange circles; the hull is
a black solid line and miscibility gaps are bounded by dashed black lines.
"""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aiida_lps.analysis.hull import HullAnalysis, MiscibilityGap, hull_formation_energy

__all__ = ('MARKER_STYLES', 'plot_formation_energy_hull')

MARKER_STYLES = {
    'crystal': {'marker': 's', 'color': 'tab:blue', 'label': 'crystal', 'markerfacecolor': 'none'},
    'ga': {'marker': 'x', 'color': 'tab:green', 'label': 'GA'},
    'aimd': {'marker': 'o', 'color': 'tab:orange', 'label': 'AIMD', 'markerfacecolor': 'none'},
}
"""Matplotlib marker style per kind of structure."""

HULL_GRID_POINTS = 401
"""Compositions at which the (slightly curved in x) hull line is evaluated."""


def plot_formation_energy_hull(
    hull: HullAnalysis,
    kinds: Sequence[str],
    names: Sequence[str | None] | None = None,
    gaps: Sequence[MiscibilityGap] = (),
    path: str | Path | None = None,
):
    """Formation energy (meV/atom) against x of (Li2S)_x(P2S5)_(1-x), with the hull line.

    :param hull: from :func:`aiida_lps.analysis.hull.analyse_hull`, n_structures entries.
    :param kinds: kind of each structure, a key of ``MARKER_STYLES``, length n_structures.
    :param names: optional label per structure (e.g. 'gamma-Li3PS4'; ``None`` for no label).
    :param gaps: miscibility gaps to mark, from :func:`aiida_lps.analysis.hull.find_miscibility_gaps`.
    :param path: if given, the figure is also written there as PNG.
    :return: the matplotlib Figure.
    """
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    kinds = np.asarray(kinds)
    unknown = sorted(set(kinds.tolist()) - set(MARKER_STYLES))
    if unknown or kinds.shape != hull.x.shape:
        raise ValueError(
            f'kinds must give one of {sorted(MARKER_STYLES)} per structure ({hull.x.size}); got {kinds.size} '
            f'entries with unknown kinds {unknown}.'
        )
    formation_meV = 1000 * hull.formation_energy_per_atom

    figure, axes = plt.subplots(figsize=(6, 4))
    x_grid = np.linspace(0.0, 1.0, HULL_GRID_POINTS)
    axes.plot(x_grid, 1000 * hull_formation_energy(hull.phase_diagram, x_grid), color='black', lw=1.2, label='hull')
    for kind, style in MARKER_STYLES.items():
        selected = kinds == kind
        if selected.any():
            axes.plot(hull.x[selected], formation_meV[selected], linestyle='none', **style)
    for x_i, energy_i, name in zip(hull.x, formation_meV, names or ()):
        if name is not None:
            axes.annotate(name, (x_i, energy_i), textcoords='offset points', xytext=(4, 4), fontsize=7)
    for gap in gaps:
        for bound in (gap.x_low, gap.x_high):
            axes.axvline(bound, color='black', linestyle='--', lw=0.8)
    axes.set_xlim(0.0, 1.0)
    axes.set_xlabel(r'$x$ in (Li$_2$S)$_x$(P$_2$S$_5$)$_{1-x}$')
    axes.set_ylabel('formation energy (meV/atom)')
    axes.legend(frameon=False)
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=150)
    return figure
