"""Evaluate an ASE calculator (e.g. a quippy GAP) on labelled configurations and compare with the labels."""
from __future__ import annotations

import numpy as np

from aiida_lps.analysis.errors import error_metrics
from aiida_lps.structures.labels import labelled_atoms

__all__ = ('labelled_by', 'metrics_against_labels', 'predict')


def predict(frames, calculator) -> tuple[np.ndarray, np.ndarray]:
    """Energies and forces of ``calculator`` on ``frames`` (the frames' own calculators are left untouched).

    :return: energies (n_structures,) in eV and forces (n_atoms_total, 3) in eV/Angstrom.
    """
    energies, forces = [], []
    for atoms in frames:
        copy = atoms.copy()
        copy.calc = calculator
        energies.append(copy.get_potential_energy())
        forces.append(copy.get_forces())
    return np.array(energies), np.concatenate(forces)


def labelled_by(frames, calculator) -> list:
    """Copies of ``frames`` carrying ``calculator``'s energy (eV) and forces (eV/Angstrom) as their labels
    (``SinglePointCalculator``; ``info`` kept)."""
    energies, forces = predict(frames, calculator)
    offsets = np.cumsum([0, *(len(atoms) for atoms in frames)])
    return [labelled_atoms(atoms, energy, forces[offsets[index]:offsets[index + 1]])
            for index, (atoms, energy) in enumerate(zip(frames, energies))]


def metrics_against_labels(frames, calculator, motifs: np.ndarray | None = None) -> dict:
    """Error metrics (``aiida_lps.analysis.errors.error_metrics``) of ``calculator`` on labelled ``frames``.

    :param frames: ``ase.Atoms`` whose calculators hold the reference energy (eV) and forces (eV/Angstrom).
    :param motifs: optional motif label per atom of all frames concatenated.
    """
    energies, forces = predict(frames, calculator)
    return error_metrics(
        energies,
        np.array([atoms.get_potential_energy() for atoms in frames]),
        np.array([len(atoms) for atoms in frames]),
        forces,
        np.concatenate([atoms.get_forces() for atoms in frames]),
        np.concatenate([atoms.get_chemical_symbols() for atoms in frames]),
        motifs,
    )
