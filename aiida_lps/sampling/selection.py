"""Choosing which candidate configurations to label with DFT in one generation of iterative GAP training.

Methods (thesis seed 000, section 5.2; SPEC section 3):

- ``random``: a uniform random subset, the thesis' choice ("a straightforward, randomized approach ... converges
  the FF in five generations");
- ``fps``: farthest-point sampling on global SOAP descriptors, the first pick being the candidate farthest from
  the current training set (Eldar et al., IEEE Trans. Image Process. 6, 1305 (1997); Imbalzano et al.,
  J. Chem. Phys. 148, 241730 (2018)); descriptors and distance from ``aiida_lps.analysis.soap``;
- ``uncertainty``: the candidates whose most uncertain atom has the largest GAP predictive standard deviation
  (QUIP's ``local_gap_variance``, the posterior variance of the sparse GP; Bartok et al., Phys. Rev. Lett. 104,
  136403 (2010)). One GAP evaluation per candidate: far cheaper than a committee of GAPs fitted on bootstrap
  subsets, which needs one extra gap_fit per member and generation;
- ``all``: every candidate (e.g. a P-P distance scan, where each grid point matters).

``random`` and ``uncertainty`` can take at most ``max_per_group`` candidates of one group (e.g. the snapshots of one
MD run), so that a generation does not label consecutive, correlated frames of the one run its GAP knows least.

Candidates identical to a configuration already in the reference (training) set are never selected, so a
continued training run does not label a structure twice.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aiida_lps.analysis.soap import (
    GAP_SOAP_PARAMETERS,
    SoapParameters,
    dissimilarity_from_reference,
    farthest_point_sampling_on_descriptors,
    global_soap,
)

__all__ = (
    'SELECTION_METHODS',
    'GROUP_CAPPED_METHODS',
    'Selection',
    'known_configuration_mask',
    'gap_uncertainty',
    'select_configurations',
    'snapshot_run',
)

SELECTION_METHODS = ('all', 'random', 'fps', 'uncertainty')
#: The methods that take ``max_per_group``.
GROUP_CAPPED_METHODS = ('random', 'uncertainty')


@dataclass(frozen=True)
class Selection:
    """The outcome of ``select_configurations``.

    :param indices: selected candidate indices, in order of selection, shape (n_selected,).
    :param duplicates: indices of candidates identical to a reference configuration, shape (n_duplicates,).
    :param scores: per selected candidate, its SOAP distance to the reference set (``fps``, dimensionless) or its
        GAP predictive standard deviation (``uncertainty``, eV); NaN for ``random`` and ``all``.
    """

    indices: np.ndarray
    duplicates: np.ndarray
    scores: np.ndarray


def known_configuration_mask(candidates: Sequence, reference: Sequence, atol_A: float = 1e-6) -> np.ndarray:
    """Which candidates are already in ``reference``: same species in the same order, same cell and positions.

    :param candidates: configurations to check (Angstrom).
    :param reference: configurations already labelled (Angstrom).
    :param atol_A: largest difference of any cell or position component still counted as equal, Angstrom.
    :return: boolean mask, shape (n_candidates,).
    """
    by_numbers = {}
    for atoms in reference:
        by_numbers.setdefault(atoms.numbers.tobytes(), []).append(atoms)
    mask = np.zeros(len(candidates), dtype=bool)
    for index, atoms in enumerate(candidates):
        mask[index] = any(
            np.allclose(atoms.cell.array, known.cell.array, rtol=0, atol=atol_A)
            and np.allclose(atoms.positions, known.positions, rtol=0, atol=atol_A)
            for known in by_numbers.get(atoms.numbers.tobytes(), [])
        )
    return mask


def gap_uncertainty(frames: Sequence, calculator) -> np.ndarray:
    """Largest per-atom GAP predictive standard deviation of each frame.

    :param frames: configurations (Angstrom).
    :param calculator: a quippy ``Potential`` for a GAP with ``calc_args='local_gap_variance'`` set, so that it
        returns the per-atom variance of the predicted local energy (eV^2) in ``extra_results['atoms']``.
    :return: max over atoms of sqrt(local_gap_variance), shape (n_frames,), eV.
    """
    deviations = []
    for atoms in frames:
        copy = atoms.copy()
        copy.calc = calculator
        copy.get_potential_energy()
        variance = np.asarray(calculator.extra_results['atoms']['local_gap_variance'], dtype=float)
        deviations.append(float(np.sqrt(np.clip(variance, 0.0, None)).max()))
    return np.array(deviations)


def _species_parameters(frames: Sequence, parameters: SoapParameters) -> SoapParameters:
    """``parameters`` with the species of ``frames``."""
    species = sorted({symbol for atoms in frames for symbol in atoms.get_chemical_symbols()})
    return SoapParameters(species=tuple(species), r_cut=parameters.r_cut, n_max=parameters.n_max,
                          l_max=parameters.l_max, sigma=parameters.sigma)


def select_configurations(
    candidates: Sequence,
    reference: Sequence,
    method: str,
    count: int | None,
    *,
    rng: np.random.Generator | None = None,
    soap_parameters: SoapParameters = GAP_SOAP_PARAMETERS,
    calculator=None,
    groups: Sequence | None = None,
    max_per_group: int | None = None,
) -> Selection:
    """Pick up to ``count`` candidates not yet in ``reference`` with ``method`` (see the module docstring).

    :param candidates: unlabelled configurations (Angstrom).
    :param reference: the current training set (Angstrom); used to drop duplicates and, for ``fps``, as the
        already-selected set.
    :param method: one of ``SELECTION_METHODS``.
    :param count: how many to select; all new candidates when fewer remain (ignored by ``all``, may be None there).
    :param rng: random generator, required by ``random``.
    :param soap_parameters: SOAP settings of ``fps`` (species are taken from the configurations).
    :param calculator: quippy GAP with ``local_gap_variance``, required by ``uncertainty`` (see ``gap_uncertainty``).
    :param groups: a key per candidate (e.g. its MD run), shape (n_candidates,); needed by ``max_per_group``.
    :param max_per_group: most candidates taken from one group (``random`` and ``uncertainty``); None: no limit.
    :raises ValueError: for an unknown method, a count below 1, a missing ``rng``/``calculator``, or a
        ``max_per_group`` below 1, without ``groups`` or with another method.
    """
    if method not in SELECTION_METHODS:
        raise ValueError(f'unknown selection method {method!r}; choose one of {SELECTION_METHODS}')
    if method != 'all' and (count is None or count < 1):
        raise ValueError(f'count must be at least 1, got {count}')
    if max_per_group is not None:
        if method not in GROUP_CAPPED_METHODS:
            raise ValueError(f'max_per_group applies to the methods random and uncertainty, not {method!r}')
        if max_per_group < 1 or groups is None or len(groups) != len(candidates):
            raise ValueError('max_per_group needs a positive limit and one group per candidate')
    duplicates = known_configuration_mask(candidates, reference)
    eligible = np.flatnonzero(~duplicates)
    n_select = eligible.size if method == 'all' else min(count, eligible.size)
    scores = np.full(n_select, np.nan)
    if n_select == 0:
        chosen = np.array([], dtype=int)
    elif method == 'all':
        chosen = eligible
    elif method == 'random':
        if rng is None:
            raise ValueError('random selection needs rng (a numpy.random.Generator)')
        if max_per_group is None:
            chosen = rng.choice(eligible, size=n_select, replace=False)
        else:
            chosen = eligible[_capped(rng.permutation(eligible.size), eligible, groups, max_per_group, n_select)]
    elif method == 'fps':
        frames = [candidates[index] for index in eligible]
        parameters = _species_parameters([*frames, *reference], soap_parameters)
        descriptors = global_soap(frames, parameters)
        reference_descriptors = global_soap(reference, parameters) if len(reference) else None
        picks = farthest_point_sampling_on_descriptors(
            descriptors, n_select, reference_descriptors=reference_descriptors
        )
        chosen = eligible[picks]
        if reference_descriptors is not None:
            scores = dissimilarity_from_reference(descriptors[picks], reference_descriptors)
    else:
        if calculator is None:
            raise ValueError('uncertainty selection needs a quippy GAP calculator with local_gap_variance')
        deviations = gap_uncertainty([candidates[index] for index in eligible], calculator)
        order = np.argsort(-deviations, kind='stable')
        order = _capped(order, eligible, groups, max_per_group, n_select)
        chosen, scores = eligible[order], deviations[order]
    return Selection(indices=np.asarray(chosen, dtype=int), duplicates=np.flatnonzero(duplicates),
                     scores=scores[:len(chosen)])


def snapshot_run(label: str) -> str:
    """The MD run of a snapshot label (``md_beta_Li3PS4_600K_snapshot_3`` -> ``md_beta_Li3PS4_600K``); a label of no
    snapshot is its own run."""
    return label.rsplit('_snapshot_', 1)[0]


def _capped(order: np.ndarray, eligible: np.ndarray, groups: Sequence | None, max_per_group: int | None,
            n_select: int) -> np.ndarray:
    """The first ``n_select`` entries of ``order`` (positions in ``eligible``), skipping those whose group already
    has ``max_per_group``; fewer when the groups run out."""
    if max_per_group is None:
        return order[:n_select]
    taken, kept = {}, []
    for position in order:
        group = groups[eligible[position]]
        if taken.get(group, 0) < max_per_group:
            taken[group] = taken.get(group, 0) + 1
            kept.append(position)
            if len(kept) == n_select:
                break
    return np.asarray(kept, dtype=int)
