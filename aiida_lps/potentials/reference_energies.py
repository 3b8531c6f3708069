"""Per-element reference energies (eV), e.g. of isolated atoms, subtracted from total energies before a fit, and the
species a fit covers."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ase.data import atomic_numbers

__all__ = ('fit_species', 'reference_baselines')


def fit_species(frames: Sequence, species: Sequence[str] | None = None) -> list[str]:
    """The elements of a fit: ``species`` and those of ``frames``, sorted by atomic number (LAMMPS type order).

    :raises ValueError: for an empty training set.
    """
    if not frames:
        raise ValueError('the training set is empty: label some structures first')
    present = {symbol for atoms in frames for symbol in atoms.get_chemical_symbols()}
    return sorted(set(species or present) | present, key=lambda symbol: atomic_numbers[symbol])


def reference_baselines(frames: Sequence, species: Sequence[str], reference_energies: dict | None) -> np.ndarray:
    """Sum of the reference energies of each frame's atoms, eV, shape (n_frames,); zeros without references.

    :param species: every element the fit covers; each needs a reference when ``reference_energies`` is given.
    :raises ValueError: when ``reference_energies`` misses an element of ``species``, naming it.
    """
    if reference_energies is None:
        return np.zeros(len(frames))
    missing = sorted(set(species) - set(reference_energies))
    if missing:
        raise ValueError(f'reference_energies has no energy for {missing}: compute isolated-atom energies for every '
                         f'element (IsolatedAtomEnergiesWorkChain)')
    return np.array([sum(reference_energies[symbol] for symbol in atoms.get_chemical_symbols()) for atoms in frames])
