"""Plots of glass/crystal interfaces: the crystallinity profile F(z) with its domains (style of thesis Fig. 18)."""

from pathlib import Path

import numpy as np

from aiida_lps.analysis.interface_domains import DOMAIN_NAMES

__all__ = ('DOMAIN_COLOURS', 'plot_crystallinity_profile')

DOMAIN_COLOURS = {'crystal': '#4c72b0', 'interface': '#dd8452', 'glass': '#55a868'}
"""Background colour of each domain."""


def plot_crystallinity_profile(heights_A, crystallinity, domains, *, title: str | None = None,
                               path: str | Path | None = None):
    """F(z) against the height along the normal, domains shaded and interface boundaries dotted.

    :param heights_A: slice centres (n_slices,), Angstrom.
    :param crystallinity: F(z) (n_slices,), max 1 (NaN slices are left out).
    :param domains: :class:`~aiida_lps.analysis.interface_domains.InterfaceDomains` of the same cell.
    :param title: optional axes title.
    :param path: if given, the figure is also written there as PNG.
    :return: the matplotlib Figure.
    """
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    heights, values = np.asarray(heights_A, dtype=float), np.asarray(crystallinity, dtype=float)
    if heights.shape != values.shape:
        raise ValueError(f'heights_A {heights.shape} and crystallinity {values.shape} must have the same shape')
    figure, axes = plt.subplots(figsize=(6, 3.5))
    shaded = set()
    for start, end, label in zip(domains.boundaries_A[:-1], domains.boundaries_A[1:], domains.labels):
        name = DOMAIN_NAMES[label]
        axes.axvspan(start, end, color=DOMAIN_COLOURS[name], alpha=0.15, lw=0,
                     label=None if name in shaded else name)
        shaded.add(name)
        if name == 'interface':
            for boundary in (start, end):
                if 0.0 < boundary < domains.height_A:  # the cell faces are no boundaries
                    axes.axvline(boundary, color='0.3', ls=':', lw=1)
    axes.plot(heights, values, 'o-', color='k', ms=4)
    axes.set_xlim(0.0, domains.height_A)
    axes.set_ylim(0.0, 1.05)
    axes.set_xlabel('height along the normal z (Angstrom)')
    axes.set_ylabel('crystallinity F(z)')
    widths = domains.interface_widths_A
    if len(widths):
        axes.text(0.01, 0.02, 'interface widths: ' + ', '.join(f'{width:.1f}' for width in widths) + ' Angstrom',
                  transform=axes.transAxes, fontsize=8)
    if title:
        axes.set_title(title)
    axes.legend(frameon=False, fontsize=8, loc='upper right')
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=150)
    return figure
