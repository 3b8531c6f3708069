"""Attach DFT labels to an ``ase.Atoms`` with ASE's units and sign conventions."""
from __future__ import annotations

import numpy as np
from ase import units
from ase.calculators.singlepoint import SinglePointCalculator
from ase.stress import full_3x3_to_voigt_6_stress

__all__ = ('labelled_atoms',)


def labelled_atoms(atoms, energy: float, forces: np.ndarray, stress_GPa: np.ndarray | None = None):
    """Return a copy of ``atoms`` carrying a ``SinglePointCalculator`` with the labels.

    :param energy: total energy, eV.
    :param forces: forces, shape (n_atoms, 3), eV/Angstrom.
    :param stress_GPa: Quantum ESPRESSO's stress tensor, shape (3, 3), GPa, positive under compression; stored
        in ASE's convention (eV/Angstrom^3, negative under compression). None stores no stress.
    """
    labelled = atoms.copy()
    results = {'energy': float(energy), 'forces': np.asarray(forces, dtype=float).reshape(len(atoms), 3)}
    if stress_GPa is not None:
        results['stress'] = full_3x3_to_voigt_6_stress(-np.asarray(stress_GPa, dtype=float) * units.GPa)
    labelled.calc = SinglePointCalculator(labelled, **results)
    return labelled
