"""Plots of glass structure: partial RDFs of glass against crystals (thesis Fig. 13) and motif fractions.

matplotlib is imported inside each function with the non-interactive Agg canvas (no pyplot state).
"""

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ('plot_motif_fractions', 'plot_partial_rdfs')

RDF_PAIRS = (('P', 'S'), ('Li', 'S'), ('S', 'S'), ('P', 'P'))
"""The panels of thesis Fig. 13: P-S, S-Li, S-S and P-P."""


def _new_figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout='constrained')
    FigureCanvasAgg(figure)
    return figure


def plot_partial_rdfs(rdfs: Mapping, pairs: Sequence = RDF_PAIRS, *, path=None):
    """One panel per species pair, one line per structure set (e.g. glass, alpha, beta, gamma).

    :param rdfs: label -> :class:`aiida_lps.analysis.rdf.PartialRDF` (time/ensemble averaged).
    :param pairs: species pairs to draw, one panel each.
    :param path: PNG file to write, or None.
    :return: the matplotlib Figure.
    """
    figure = _new_figure(3.2 * len(pairs), 3.0)
    axes = np.atleast_1d(figure.subplots(1, len(pairs), sharex=True))
    for panel, (first, second) in zip(axes, pairs):
        for label, rdf in rdfs.items():
            panel.plot(rdf.r, rdf.pair(first, second), label=label)
        panel.set_title(f'{first}-{second}')
        panel.set_xlabel('r (Å)')
    axes[0].set_ylabel('g(r)')
    axes[0].legend(frameon=False)
    if path is not None:
        figure.savefig(path, dpi=150)
    return figure


def plot_motif_fractions(fractions: Mapping, *, path=None):
    """Stacked bars of the mean motif fractions (by P) of each ensemble, with the ensemble std.

    :param fractions: ensemble label (e.g. 'Li3PS4 500 K') -> list of per-structure dicts
        motif -> fraction, as returned by :func:`aiida_lps.analysis.motifs.motif_fractions`.
    :param path: PNG file to write, or None.
    :return: the matplotlib Figure.
    """
    labels = list(fractions)
    motifs = [motif for motif in next(iter(fractions.values()))[0]
              if any(structure[motif] for ensemble in fractions.values() for structure in ensemble)]
    means = np.array([[np.mean([s[motif] for s in fractions[label]]) for label in labels] for motif in motifs])
    spreads = np.array([[np.std([s[motif] for s in fractions[label]]) for label in labels] for motif in motifs])
    figure = _new_figure(1.0 + 0.9 * len(labels), 3.8)
    axes = figure.add_subplot()
    bottom = np.zeros(len(labels))
    for motif, mean, spread in zip(motifs, means, spreads):
        axes.bar(labels, mean, bottom=bottom, yerr=spread, capsize=3, label=motif)
        bottom += mean
    axes.set_ylabel('fraction of P')
    axes.set_ylim(0, 1.05)
    axes.legend(frameon=False, fontsize='small')
    axes.tick_params(axis='x', labelrotation=30)
    if path is not None:
        figure.savefig(path, dpi=150)
    return figure
