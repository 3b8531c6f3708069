"""Fitters of potential kinds, found through the entry-point group ``lps.potential_fitters``.

An entry point ``<kind> = 'module:OBJECT'`` names a ``PotentialFitter``: the calcfunction that fits the kind to a
training set, the data type it returns and the merger that checks its hyperparameters. ``IterativeTrainingWorkChain``
offers ``<kind>_parameters`` and ``<kind>_potential`` for every fitter, the ``md`` explorer ``potential: <kind>`` and
``PotentialDistillationWorkChain`` ``fast_kind: <kind>``: a new kind is its data module, its fitter and two entry
points (``aiida.data`` and this group), then ``pip install -e .``.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

__all__ = ('FITTER_GROUP', 'PotentialFitter', 'potential_fitters')

FITTER_GROUP = 'lps.potential_fitters'


@dataclass(frozen=True)
class PotentialFitter:
    """How to fit one potential kind.

    :param fit: calcfunction ``fit(training_set, parameters=None, reference_energies=None)`` returning ``potential``
        (a ``data_type``) and ``metrics`` (Dict: training-set RMSEs in meV/atom and eV/Angstrom, the keys of
        ``aiida_lps.analysis.errors.error_metrics``); ``reference_energies`` are isolated-atom energies in eV.
    :param data_type: the ``PotentialData`` subclass the fit returns.
    :param merge_hyperparameters: ``merge(overrides: dict | None) -> dict`` over the kind's defaults; raises
        ``ValueError`` on unknown or bad settings (port validators call it).
    :param weighs_by_source: whether the fit takes ``sigma_factors_by_source`` (per-label weights by ``source`` tag).
    """

    fit: Callable
    data_type: type
    merge_hyperparameters: Callable[[dict | None], dict]
    weighs_by_source: bool = False


@functools.cache
def potential_fitters() -> dict[str, PotentialFitter]:
    """The installed fitters by kind (entry-point name), sorted by kind."""
    found = {entry_point.name: entry_point.load() for entry_point in entry_points(group=FITTER_GROUP)}
    return dict(sorted(found.items()))
