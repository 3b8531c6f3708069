"""Plots of iterative GAP training: RMSE against generation and a force parity plot (thesis Figures 4 and 5).

matplotlib is imported inside the function with the non-interactive Agg canvas.
"""
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ('RMSE_SERIES', 'plot_training_history')

#: Rows' ``rmse`` keys drawn as curves, with their legend labels.
RMSE_SERIES = {
    'train': 'training set',
    'validation': 'validation set',
    'new_labels_old_potential': 'new labels, previous GAP',
    'new_labels_new_potential': 'new labels, refitted GAP',
}


def _series(rows: Sequence[Mapping], key: str, quantity: str) -> tuple[np.ndarray, np.ndarray]:
    """Generations and values of ``rmse[key][quantity]`` over the rows that have it."""
    points = [(row['generation'], row['rmse'][key][quantity]) for row in rows if key in row.get('rmse', {})]
    if not points:
        return np.array([]), np.array([])
    generations, values = zip(*points)
    return np.array(generations), np.array(values, dtype=float)


def _draw_rmse(axes, rows, quantity: str, ylabel: str) -> None:
    for key, label in RMSE_SERIES.items():
        generations, values = _series(rows, key, quantity)
        if generations.size:
            axes.plot(generations, values, 'o-', label=label)
    starts = {}
    for row in rows:
        starts.setdefault(row['stage'], row['generation'])
    for stage, generation in starts.items():
        axes.axvline(generation - 0.5, color='0.8', linestyle=':', zorder=0)
        axes.annotate(stage, (generation - 0.45, 1.0), xycoords=('data', 'axes fraction'), va='top', fontsize=7)
    axes.set_yscale('log')  # errors on new data can exceed the training error by orders of magnitude
    axes.set_xlabel('generation')
    axes.set_ylabel(ylabel)
    axes.xaxis.get_major_locator().set_params(integer=True)


def _draw_parity(axes, parity: Mapping, label: str) -> None:
    from ase.data import chemical_symbols

    reference = np.asarray(parity['force_reference'], dtype=float)
    predicted = np.asarray(parity['force_predicted'], dtype=float)
    elements = np.asarray(parity['force_element'])
    for number in np.unique(elements):
        mask = elements == number
        rmse = np.sqrt(np.mean((predicted[mask] - reference[mask]) ** 2))
        axes.scatter(reference[mask], predicted[mask], s=6, alpha=0.6,
                     label=f'{chemical_symbols[int(number)]} ({rmse:.3f} eV/$\\AA$)')
    limits = [min(reference.min(), predicted.min()), max(reference.max(), predicted.max())]
    axes.plot(limits, limits, 'k-', linewidth=0.8)
    axes.set_xlabel(r'DFT force component (eV/$\AA$)')
    axes.set_ylabel(r'GAP force component (eV/$\AA$)')
    axes.set_title(label, fontsize=9)
    axes.legend(fontsize=7)


def plot_training_history(
    rows: Sequence[Mapping], parity: Mapping | None = None, *, parity_label: str = 'validation set', path=None
):
    """Force and energy RMSEs against generation (log scale), and the force parity of the final GAP.

    :param rows: the generations of an RMSE table, each with ``generation``, ``stage`` and ``rmse``: a mapping
        from the keys of ``RMSE_SERIES`` to metrics with ``force_rmse_eV_per_A`` (eV/Angstrom) and
        ``energy_rmse_meV_per_atom`` (meV/atom).
    :param parity: optional ``force_reference`` and ``force_predicted`` components (eV/Angstrom, shape
        (3 n_atoms,)) and the atomic number of each component, ``force_element``; adds a third panel.
    :param parity_label: title of the parity panel (which configurations and which GAP).
    :param path: PNG file to write, or None.
    :return: the matplotlib Figure.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n_panels = 3 if parity is not None else 2
    figure = Figure(figsize=(4.2 * n_panels, 3.8), layout='constrained')
    FigureCanvasAgg(figure)
    force_axes, energy_axes, *parity_axes = figure.subplots(1, n_panels)
    _draw_rmse(force_axes, rows, 'force_rmse_eV_per_A', r'force RMSE (eV/$\AA$)')
    _draw_rmse(energy_axes, rows, 'energy_rmse_meV_per_atom', 'energy RMSE (meV/atom)')
    force_axes.legend(fontsize=7)
    if parity is not None:
        _draw_parity(parity_axes[0], parity, parity_label)
    if path is not None:
        figure.savefig(path, dpi=150)
    return figure
