"""Thiophosphate motif assignment, MSD isotropy and motif-property correlation of LPS glasses.

Two motif assignments per P atom (SPEC §1):

- by the nearest P-P distance, as in the thesis (§6.2.1): < 2.5 A P2S6^4- (direct P-P bond),
  2.5-4.5 A P2S7^4- (corner-sharing pair), otherwise PS4^3-. It cannot tell P2S7^4- from the
  edge-sharing P2S6^2- (P...P about 2.9 A) or from chains.
- by connectivity: P-S bonds below a cutoff (2.4 A, above the longest bridging P-S of ~2.2 A and
  below the shortest non-bonded P-S of ~3.3 A in the crystals) and P-P bonds below 2.5 A join atoms
  into anions; an anion with one P is PS4^3-, two P joined by a P-P bond P2S6^4-, two P sharing one
  S P2S7^4-, two P sharing two S P2S6^2-, three or more corner-sharing P with at most two bridging
  S each a chain (or ring) (PS3^-)_n; a one- or two-P anion whose P do not have four bonds (S, or three S and
  the P-P bond) is not one of these; anything else (P4S10 cages, an S bonded to three P, anions
  with both P-P bonds and bridges) 'other'.

Fractions are by P atom (thesis Fig. 14: at.% of P). The isotropy of diffusion is the spread of
the x, y and z MSD (thesis §6.2.1: 9 % in one run, 1 % averaged over 20 glasses), and the
correlation of a motif fraction with a property across an ensemble the Pearson coefficient with its
two-sided p-value (thesis eq. 22, Table 7).
"""

from typing import NamedTuple

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.stats import pearsonr

from aiida_lps.structures.building_blocks import HYPO, META, ORTHO, PYRO, SULFIDE

CHAIN = '(PS3^-)_n'
OTHER = 'other'
MOTIF_LABELS = (ORTHO, PYRO, HYPO, META, CHAIN, OTHER)


def _phosphorus_indices(atoms: Atoms) -> np.ndarray:
    indices = np.flatnonzero(np.array(atoms.get_chemical_symbols()) == 'P')
    if len(indices) == 0:
        raise ValueError('the structure contains no P, so it has no thiophosphate motifs')
    return indices


def assign_motifs_by_distance(atoms: Atoms, hypo_cutoff: float = 2.5, pyro_cutoff: float = 4.5) -> np.ndarray:
    """Motif of every P from its nearest P neighbour (periodic), as in the thesis.

    :param atoms: periodic structure.
    :param hypo_cutoff: nearest P-P below this (Angstrom) -> P2S6^4-.
    :param pyro_cutoff: nearest P-P below this (Angstrom) -> P2S7^4-; otherwise PS4^3-.
    :return: (n_P,) labels, in the order of the P atoms in ``atoms``.
    """
    phosphorus = _phosphorus_indices(atoms)
    first, distances = neighbor_list('id', atoms, {('P', 'P'): pyro_cutoff})
    nearest = np.full(len(atoms), np.inf)
    np.minimum.at(nearest, first, distances)
    nearest = nearest[phosphorus]
    return np.where(nearest < hypo_cutoff, HYPO, np.where(nearest < pyro_cutoff, PYRO, ORTHO)).astype(object)


def _classify_anion(n_phosphorus: int, n_pp_bonds: int, shared_sulfur: list, sulfur_counts: list) -> str:
    """Label of one anion from its P count, P-P bonds, the P bonded to each S shared by several P and the number of
    S bonded to each P (a P that lost or gained S, as in a melting or exploding run, is no known anion)."""
    if any(len(phosphorus) > 2 for phosphorus in shared_sulfur):
        return OTHER
    expected_sulfur = 3 if n_pp_bonds == 1 and n_phosphorus == 2 else 4
    if n_phosphorus <= 2 and any(count != expected_sulfur for count in sulfur_counts):
        return OTHER
    bridges = [tuple(sorted(phosphorus)) for phosphorus in shared_sulfur]
    bridging_per_pair = sorted(bridges.count(pair) for pair in set(bridges))
    bridges_per_phosphorus = [sum(pair.count(p) for pair in bridges) for p in {p for pair in bridges for p in pair}]
    if n_phosphorus == 1 and n_pp_bonds == 0:
        return ORTHO
    if n_phosphorus == 2 and n_pp_bonds == 1 and not bridges:
        return HYPO
    if n_phosphorus == 2 and n_pp_bonds == 0 and bridging_per_pair == [1]:
        return PYRO
    if n_phosphorus == 2 and n_pp_bonds == 0 and bridging_per_pair == [2]:
        return META
    if n_phosphorus >= 3 and n_pp_bonds == 0 and max(bridging_per_pair) == 1 and max(bridges_per_phosphorus) <= 2:
        return CHAIN
    return OTHER


def assign_motifs_by_connectivity(atoms: Atoms, ps_bond_cutoff: float = 2.4, pp_bond_cutoff: float = 2.5) -> np.ndarray:
    """Motif of every P from the anion (bonded P-S-P network) it belongs to.

    :param atoms: periodic structure.
    :param ps_bond_cutoff: P-S closer than this (Angstrom) are bonded.
    :param pp_bond_cutoff: P-P closer than this (Angstrom) are bonded.
    :return: (n_P,) labels from :data:`MOTIF_LABELS`, in the order of the P atoms in ``atoms``.
    """
    phosphorus = _phosphorus_indices(atoms)
    symbols = np.array(atoms.get_chemical_symbols())
    first, second = neighbor_list('ij', atoms, {('P', 'S'): ps_bond_cutoff, ('P', 'P'): pp_bond_cutoff})
    first, second = first[first < second], second[first < second]
    graph = coo_matrix((np.ones(len(first)), (first, second)), shape=(len(atoms), len(atoms)))
    anion_of = connected_components(graph, directed=False)[1]
    is_pp = (symbols[first] == 'P') & (symbols[second] == 'P')
    sulfur_end = np.where(symbols[first] == 'S', first, second)
    phosphorus_end = np.where(symbols[first] == 'S', second, first)
    # sulfur -> the P it is bonded to
    bonded_phosphorus = {}
    for sulfur, p in zip(sulfur_end[~is_pp], phosphorus_end[~is_pp]):
        bonded_phosphorus.setdefault(sulfur, []).append(p)
    labels = {}
    for anion in np.unique(anion_of[phosphorus]):
        members = set(phosphorus[anion_of[phosphorus] == anion])
        n_pp_bonds = int(np.count_nonzero(is_pp & np.isin(first, list(members))))
        shared_sulfur = [ps for ps in bonded_phosphorus.values() if len(ps) > 1 and ps[0] in members]
        sulfur_counts = [sum(p in ps for ps in bonded_phosphorus.values()) for p in members]
        labels.update(dict.fromkeys(members, _classify_anion(len(members), n_pp_bonds, shared_sulfur, sulfur_counts)))
    return np.array([labels[p] for p in phosphorus], dtype=object)


def motif_fractions(labels) -> dict:
    """Fraction of P atoms in each motif of :data:`MOTIF_LABELS` (zero where absent).

    :param labels: (n_P,) per-P labels from an assignment function.
    """
    labels = list(labels)
    return {label: labels.count(label) / len(labels) for label in MOTIF_LABELS}


def msd_isotropy(msd_xyz) -> np.ndarray:
    """Relative spread of the x, y and z mean square displacements at each lag time.

    :param msd_xyz: (n_lags, 3) MSD along x, y, z, Angstrom^2 (one run, or averaged over an
        ensemble before calling).
    :return: (n_lags,) standard deviation over x, y, z divided by their mean (0 for perfect
        isotropy); NaN where the mean is zero (lag 0).
    """
    msd_xyz = np.asarray(msd_xyz, dtype=float)
    if msd_xyz.ndim != 2 or msd_xyz.shape[1] != 3:
        raise ValueError(f'msd_xyz must have shape (n_lags, 3), got {msd_xyz.shape}')
    mean = msd_xyz.mean(axis=1)
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(mean > 0, msd_xyz.std(axis=1) / mean, np.nan)


class Correlation(NamedTuple):
    """Pearson correlation coefficient (-1..1) and two-sided p-value of no correlation."""

    coefficient: float
    p_value: float


def motif_property_correlation(motif_fraction, property_values) -> Correlation:
    """Pearson correlation between a motif fraction and a property across an ensemble of structures.

    :param motif_fraction: (n_structures,) e.g. the P2S_n^4- fraction of each glass.
    :param property_values: (n_structures,) e.g. the Li conductivity of each glass (any unit).
    """
    motif_fraction, property_values = np.asarray(motif_fraction, float), np.asarray(property_values, float)
    if motif_fraction.shape != property_values.shape or motif_fraction.ndim != 1 or len(motif_fraction) < 3:
        raise ValueError('need two 1-d arrays of the same length, at least 3 structures')
    if np.ptp(motif_fraction) == 0 or np.ptp(property_values) == 0:
        raise ValueError('a constant series has no correlation; the ensemble must vary in both quantities')
    result = pearsonr(motif_fraction, property_values)
    return Correlation(float(result.statistic), float(result.pvalue))


def atom_motif_labels(atoms: Atoms, ps_bond_cutoff: float = 2.4) -> np.ndarray:
    """A group label for every atom, for motif-resolved errors (thesis Table 2): ``'P in <motif>'`` from
    :func:`assign_motifs_by_connectivity`, ``'S in <motif>'`` for S bonded (below ``ps_bond_cutoff``, Angstrom)
    to a P, ``'S in S^2-'`` for isolated S, and the bare symbol for every other atom (Li).

    :return: (n_atoms,) labels; structures without P give only symbols and ``'S in S^2-'``.
    """
    symbols = np.array(atoms.get_chemical_symbols(), dtype=object)
    labels = symbols.copy()
    labels[symbols == 'S'] = f'S in {SULFIDE}'
    if not np.any(symbols == 'P'):
        return labels
    phosphorus = _phosphorus_indices(atoms)
    motif_of = dict(zip(phosphorus, assign_motifs_by_connectivity(atoms, ps_bond_cutoff)))
    for p, motif in motif_of.items():
        labels[p] = f'P in {motif}'
    first, second = neighbor_list('ij', atoms, {('P', 'S'): ps_bond_cutoff})
    for s, p in zip(first, second):
        if symbols[s] == 'S' and symbols[p] == 'P':
            labels[s] = f'S in {motif_of[p]}'
    return labels
