"""Energy above hull against composition, coloured by the most similar reference crystal (style of Fig. 7a of
H. Guo, Q. Wang, A. Urban, N. Artrith, Chem. Mater. (2022), doi:10.1021/acs.chemmater.2c00267)."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ('plot_hull_similarity',)


def plot_hull_similarity(
    x, e_above_hull_meV_per_atom, most_similar: Sequence[str | None], path: str | Path | None = None,
):
    """One point per structure: E_above_hull (meV/atom) against x of (Li2S)_x(P2S5)_(1-x), one colour per reference
    crystal its Li environments are most similar to; grey crosses for "similar to none".

    :param x: molar fraction of Li2S, shape (n_structures,).
    :param e_above_hull_meV_per_atom: shape (n_structures,).
    :param most_similar: name of the most similar reference crystal, or None, per structure.
    :param path: if given, the figure is also written there as PNG.
    :return: the matplotlib Figure.
    """
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    x = np.asarray(x, dtype=float)
    energies = np.asarray(e_above_hull_meV_per_atom, dtype=float)
    names = np.array([name if name is not None else 'none' for name in most_similar], dtype=object)
    if not x.shape == energies.shape == names.shape:
        raise ValueError(f'need one x, energy and name per structure; got {x.shape}, {energies.shape}, {names.shape}')
    figure, axes = plt.subplots(figsize=(6, 4))
    for name in sorted(set(names.tolist()) - {'none'}):
        selected = names == name
        axes.plot(x[selected], energies[selected], 'o', linestyle='none', label=name)
    selected = names == 'none'
    if selected.any():
        axes.plot(x[selected], energies[selected], 'x', color='grey', linestyle='none', label='similar to none')
    axes.set_xlim(0.0, 1.0)
    axes.set_xlabel(r'$x$ in (Li$_2$S)$_x$(P$_2$S$_5$)$_{1-x}$')
    axes.set_ylabel('energy above hull (meV/atom)')
    axes.legend(frameon=False, fontsize=8)
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=150)
    return figure
