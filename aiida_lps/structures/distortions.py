"""Distortions of a structure along one chosen coordinate: the P-P scan of the P2S6^4- anion.

The thesis (seed 000, section 5.4, Figure 6) trains the GAP on the P-P bond of P2S6^4- by displacing one
phosphorus atom of a P2S6^4- unit in the Li4P2S6 crystal along the P-P axis: an untrained GAP collapses the P-P
bond, while DFT gives a repulsive profile at short distances. ``pp_distance_scan`` builds that set of distorted
structures for a grid of P-P distances; everything else in the cell stays where it was.
Li4P2S6: P-31m, P-P 2.26 Angstrom (Mercier et al., J. Solid State Chem. 43 (1982) 151).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ('phosphorus_pairs', 'pp_distance_scan')

#: Longest P-P distance (Angstrom) counted as a bond: P2S6^4- has 2.2-2.3, the next P...P contacts in Li4P2S6
#: and in P2S7^4- are above 3.3.
PP_BOND_MAX_A = 2.6


def phosphorus_pairs(atoms, max_distance_A: float = PP_BOND_MAX_A) -> list[tuple[int, int, float]]:
    """Directly bonded P-P pairs (the P2S6^4- dimers), periodic images included.

    :param atoms: the structure (Angstrom).
    :param max_distance_A: longest P-P distance counted as a bond, Angstrom.
    :return: ``(i, j, distance_A)`` with i < j, sorted by ``(i, j)``.
    """
    phosphorus = np.flatnonzero(np.asarray(atoms.get_chemical_symbols()) == 'P')
    pairs = []
    for position, i in enumerate(phosphorus):
        for j in phosphorus[position + 1:]:
            distance = float(atoms.get_distance(int(i), int(j), mic=True))
            if distance <= max_distance_A:
                pairs.append((int(i), int(j), distance))
    return pairs


def pp_distance_scan(
    atoms, distances_A: Sequence[float], pair: tuple[int, int] | None = None, max_distance_A: float = PP_BOND_MAX_A
) -> list:
    """Copies of ``atoms`` in which one P of a P-P pair is moved along the P-P axis to each distance of a grid.

    Atom ``j`` of the pair ``(i, j)`` moves; atom ``i`` and all other atoms keep their positions, the cell is
    unchanged (thesis section 5.4, Figure 6a).

    :param atoms: the structure holding a P2S6^4- unit, e.g. Li4P2S6 (Angstrom).
    :param distances_A: target P-P distances, Angstrom, shape (n_distances,).
    :param pair: ``(i, j)`` atom indices of two P atoms, j being displaced; defaults to the first bonded pair
        found by ``phosphorus_pairs``.
    :param max_distance_A: longest P-P distance counted as a bond when looking for the default pair, Angstrom.
    :return: one ``ase.Atoms`` per distance, in the order given, with ``info['pp_distance_A']`` (the new distance)
        and ``info['displaced_atom']`` (j).
    :raises ValueError: when the structure has no bonded P-P pair, a distance is not positive, or ``pair`` does
        not name two P atoms.
    """
    distances_A = np.asarray(distances_A, dtype=float)
    if distances_A.ndim != 1 or distances_A.size == 0 or np.any(distances_A <= 0):
        raise ValueError(f'distances_A must be a non-empty list of positive distances (Angstrom), got {distances_A}')
    if pair is None:
        pairs = phosphorus_pairs(atoms, max_distance_A)
        if not pairs:
            raise ValueError(
                f'{atoms.get_chemical_formula()} has no P-P pair within {max_distance_A} Angstrom: the scan needs a '
                'P2S6^4- unit (e.g. Li4P2S6); pass `pair` or raise max_distance_A'
            )
        pair = pairs[0][:2]
    i, j = (int(index) for index in pair)
    symbols = atoms.get_chemical_symbols()
    if i == j or symbols[i] != 'P' or symbols[j] != 'P':
        raise ValueError(f'pair {pair} must name two different P atoms, got {symbols[i]}{i} and {symbols[j]}{j}')
    bond = atoms.get_distance(i, j, mic=True, vector=True)
    length = float(np.linalg.norm(bond))
    axis = bond / length
    scan = []
    for distance in distances_A:
        distorted = atoms.copy()
        distorted.positions[j] += (distance - length) * axis
        distorted.info['pp_distance_A'] = float(distance)
        distorted.info['displaced_atom'] = j
        scan.append(distorted)
    return scan
