"""Stability of an MD run with a potential (issue 23 acceptance): the checks of ``benchmarks/stability.py``.

A potential holds a run when no atoms are lost, no pair comes closer than ``MIN_PAIR_DISTANCE_A`` in any stored
frame, the mean NVE temperature is within ``MAX_TEMPERATURE_DEVIATION`` of the target, and the thiophosphate
anions survive: the P-S bonds (below ``aiida_lps.analysis.motifs``'s 2.4 Angstrom cutoff) and the connectivity
motif fractions are the same at the end as at the start.
"""
from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

from aiida_lps.analysis.motifs import assign_motifs_by_connectivity, motif_fractions

__all__ = ('MAX_TEMPERATURE_DEVIATION', 'MIN_PAIR_DISTANCE_A', 'PS_BOND_CUTOFF_A', 'anion_summary',
           'closest_pair_over_frames', 'stability_verdict')

#: No pair closer than this in any frame, Angstrom (the shortest bond, P-S, is about 2.0).
MIN_PAIR_DISTANCE_A = 1.6
#: Largest relative deviation of the mean NVE temperature from the target.
MAX_TEMPERATURE_DEVIATION = 0.05
#: P-S closer than this are bonded, Angstrom (as ``assign_motifs_by_connectivity``).
PS_BOND_CUTOFF_A = 2.4


def closest_pair_over_frames(frames, cutoff_A: float = 3.0) -> tuple[float, int]:
    """The shortest periodic interatomic distance over ``frames`` (Angstrom) and the index of its frame.

    :param frames: ``ase.Atoms`` (periodic).
    :param cutoff_A: pairs are searched up to this distance; frames without one count as ``cutoff_A``.
    """
    shortest = [float(np.min(distances, initial=cutoff_A)) for distances in
                (neighbor_list('d', atoms, cutoff_A) for atoms in frames)]
    index = int(np.argmin(shortest))
    return shortest[index], index


def anion_summary(atoms: Atoms) -> dict:
    """``ps_bonds``: number of P-S pairs closer than ``PS_BOND_CUTOFF_A``; ``motif_fractions``: fraction of P in
    each connectivity motif (``aiida_lps.analysis.motifs``)."""
    pairs = neighbor_list('i', atoms, {('P', 'S'): PS_BOND_CUTOFF_A})  # each bond from both ends
    return {'ps_bonds': int(len(pairs) // 2),
            'motif_fractions': motif_fractions(assign_motifs_by_connectivity(atoms, PS_BOND_CUTOFF_A))}


def stability_verdict(*, lost_atoms: bool, closest_pair_A: float | None, mean_temperature_K: float | None,
                      target_temperature_K: float, start: dict | None, end: dict | None) -> dict:
    """Each check of the module docstring: True (holds), False (fails) or None (not measurable: atoms were lost).

    :param start: ``anion_summary`` of the first structure; ``end`` that of the last frame.
    :return: ``no_lost_atoms``, ``closest_pair_ok``, ``temperature_ok``, ``ps_bonds_intact``, ``motifs_unchanged``
        and ``holds`` (all of them True).
    """
    def measured(check):
        return None if lost_atoms else bool(check())

    checks = {
        'no_lost_atoms': not lost_atoms,
        'closest_pair_ok': measured(lambda: closest_pair_A >= MIN_PAIR_DISTANCE_A),
        'temperature_ok': measured(
            lambda: abs(mean_temperature_K - target_temperature_K) <= MAX_TEMPERATURE_DEVIATION * target_temperature_K),
        'ps_bonds_intact': measured(lambda: end['ps_bonds'] == start['ps_bonds']),
        'motifs_unchanged': measured(lambda: all(abs(end['motif_fractions'][motif] - fraction) < 1e-9
                                                 for motif, fraction in start['motif_fractions'].items())),
    }
    checks['holds'] = all(value is True for value in checks.values())
    return checks
