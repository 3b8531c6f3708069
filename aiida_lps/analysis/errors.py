"""Accuracy of a potential against reference (DFT) labels: energy and force RMSEs, resolved by group.

Energy errors are per atom (meV/atom), also after removing the constant mean offset (a GAP's ``e0`` choice and
a DFT reference energy differ by a constant that does not affect forces or dynamics; thesis section 5.4).
Force errors are per Cartesian component (eV/Angstrom), overall and per group of atoms (element or motif).
"""
from __future__ import annotations

import numpy as np

__all__ = ('energy_errors', 'force_rmse_by_group', 'error_metrics')


def energy_errors(predicted: np.ndarray, reference: np.ndarray, n_atoms: np.ndarray) -> dict:
    """Per-atom energy RMSEs.

    :param predicted: total energies, shape (n_structures,), eV.
    :param reference: reference total energies, shape (n_structures,), eV.
    :param n_atoms: atoms per structure, shape (n_structures,).
    :return: ``energy_rmse_meV_per_atom``, ``energy_offset_meV_per_atom`` (mean of predicted - reference) and
        ``energy_rmse_offset_removed_meV_per_atom``.
    """
    difference = (np.asarray(predicted, float) - np.asarray(reference, float)) / np.asarray(n_atoms, float)
    offset = difference.mean()
    return {
        'energy_rmse_meV_per_atom': 1000 * float(np.sqrt(np.mean(difference**2))),
        'energy_offset_meV_per_atom': 1000 * float(offset),
        'energy_rmse_offset_removed_meV_per_atom': 1000 * float(np.sqrt(np.mean((difference - offset) ** 2))),
    }


def force_rmse_by_group(predicted: np.ndarray, reference: np.ndarray, groups: np.ndarray) -> dict:
    """Force RMSE per Cartesian component for every distinct label in ``groups``.

    :param predicted: forces, shape (n_atoms, 3), eV/Angstrom (all structures concatenated).
    :param reference: reference forces, shape (n_atoms, 3), eV/Angstrom.
    :param groups: a label per atom (element symbol, motif name), shape (n_atoms,).
    :return: ``{label: rmse}`` in eV/Angstrom.
    """
    squared = (np.asarray(predicted, float) - np.asarray(reference, float)) ** 2
    groups = np.asarray(groups)
    return {str(label): float(np.sqrt(squared[groups == label].mean())) for label in np.unique(groups)}


def error_metrics(
    predicted_energies: np.ndarray,
    reference_energies: np.ndarray,
    n_atoms: np.ndarray,
    predicted_forces: np.ndarray,
    reference_forces: np.ndarray,
    symbols: np.ndarray,
    motifs: np.ndarray | None = None,
) -> dict:
    """Energy and force errors of a potential on a labelled set (see ``energy_errors`` for the energy keys).

    :param symbols: chemical symbol per atom, shape (n_atoms_total,), for the per-element force RMSE.
    :param motifs: optional motif label per atom (e.g. ``P2S6``, ``PS4``, ``none`` for Li) for the per-motif RMSE.
    :return: a JSON-serialisable dict: energy RMSEs (meV/atom), ``force_rmse_eV_per_A``, ``force_rmse_by_element``,
        optionally ``force_rmse_by_motif``, ``n_structures`` and ``n_atoms``.
    """
    metrics = energy_errors(predicted_energies, reference_energies, n_atoms)
    squared = (np.asarray(predicted_forces, float) - np.asarray(reference_forces, float)) ** 2
    metrics['force_rmse_eV_per_A'] = float(np.sqrt(squared.mean()))
    metrics['force_rmse_by_element'] = force_rmse_by_group(predicted_forces, reference_forces, symbols)
    if motifs is not None:
        metrics['force_rmse_by_motif'] = force_rmse_by_group(predicted_forces, reference_forces, motifs)
    metrics['n_structures'] = int(len(n_atoms))
    metrics['n_atoms'] = int(np.sum(n_atoms))
    return metrics
