"""2-D kernel-PCA similarity maps of SOAP descriptors (style of thesis Figs. 10b and 20).

Coordinates come from :func:`aiida_lps.analysis.soap.kernel_pca_map`; each group (training set,
RSS structures, glass, crystal, interface, or a species) gets its own colour and, optionally,
marker (the thesis draws Li as triangles, S as crosses and P as rhombs).
"""

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ('SPECIES_MARKERS', 'plot_kernel_pca_map')

SPECIES_MARKERS = {'Li': '^', 'S': 'x', 'P': 'D'}
"""Thesis Fig. 10b markers per species, usable as ``markers``."""


def plot_kernel_pca_map(
    coordinates,
    labels: Sequence[str],
    *,
    markers: Mapping[str, str] | None = None,
    title: str | None = None,
    path: str | Path | None = None,
):
    """Scatter the first two kernel-PCA components, one colour per label.

    :param coordinates: kPCA coordinates (n_points, >= 2), dimensionless.
    :param labels: group of each point, length n_points; groups are drawn in order of first
        appearance, so list the background (e.g. the training set) first.
    :param markers: optional label -> matplotlib marker; other labels get circles.
    :param title: optional axes title.
    :param path: if given, the figure is also written there as PNG.
    :return: the matplotlib Figure.
    """
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    points = np.asarray(coordinates, dtype=float)
    labels = np.asarray(labels)
    if points.ndim != 2 or points.shape[1] < 2 or labels.shape != (len(points),):
        raise ValueError(
            f'need coordinates (n_points, >= 2) and one label per point; got {points.shape} and {labels.shape} labels'
        )
    figure, axes = plt.subplots(figsize=(5, 4.5))
    for label in dict.fromkeys(labels.tolist()):
        selected = labels == label
        axes.scatter(
            points[selected, 0],
            points[selected, 1],
            s=12,
            marker=(markers or {}).get(label, 'o'),
            alpha=0.7,
            label=f'{label} ({selected.sum()})',
        )
    axes.set_xlabel('kPCA 1')
    axes.set_ylabel('kPCA 2')
    if title:
        axes.set_title(title)
    axes.legend(frameon=False, fontsize=8)
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=150)
    return figure
