"""AIRSS-like random structures and selection of the most dissimilar ones (thesis §4 and §5.5).

The thesis generated 10,000 random Li3PS4 cells with AIRSS (1-3 formula units, 20 A^3 per atom,
"bond length" ranges Li 2.4-3.0, P 1.8-2.05, S 1.8-2.3 A) and kept the 20-30 most dissimilar by
farthest-point sampling on the global SOAP kernel, with the GAP's SOAP parameters. Our generator:

- cell: three lengths drawn uniformly from [1, ``max_aspect_ratio``] and three angles from
  [60, 120] degrees, rejected if too flat (volume below half that of the box with those lengths),
  then scaled to n_atoms x ``volume_per_atom``;
- separations: per structure, one bond length b_X is drawn uniformly from each element's range;
  the minimum separation of a pair is the sum of the two radii b_A/2 + b_B/2 (so Li-Li >= b_Li,
  P-S >= (b_P + b_S)/2); the drawn b_X are stored in ``atoms.info['bond_lengths']``;
- atoms are placed one by one at uniformly random fractional positions and a position is kept
  only if it respects every minimum separation under periodic boundary conditions (also to its
  own images, which also requires cell heights above the largest separation); after
  ``max_attempts_per_atom`` failures the structure starts again in a new cell, and after
  ``max_restarts`` restarts a RuntimeError says which settings to relax.

Unlike AIRSS (``SYMMOPS=1-8``) we generate P1 structures only.

References:
    C. J. Pickard, R. J. Needs, J. Phys.: Condens. Matter 23, 053201 (2011) (AIRSS).
    V. L. Deringer et al., Faraday Discuss. 211, 45 (2018) (GAP-RSS, selection by SOAP FPS).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ase import Atoms
from ase.cell import Cell
from ase.geometry import cellpar_to_cell
from ase.symbols import string2symbols
import numpy as np

from aiida_lps.analysis.soap import (
    GAP_SOAP_PARAMETERS,
    SoapParameters,
    farthest_point_sampling_on_descriptors,
    global_soap,
)

__all__ = (
    'THESIS_BOND_LENGTH_RANGES',
    'minimum_separation',
    'most_dissimilar_structures',
    'random_structure',
    'random_structures',
)

THESIS_BOND_LENGTH_RANGES: Mapping[str, tuple[float, float]] = {
    'Li': (2.4, 3.0),
    'P': (1.8, 2.05),
    'S': (1.8, 2.3),
}
"""Per-element bond-length ranges (Angstrom) the thesis gave AIRSS (§4)."""

_ANGLE_RANGE_DEGREES = (60.0, 120.0)
_MIN_FLATNESS = 0.5
_TRIAL_BATCH = 64


def minimum_separation(bond_lengths: Mapping[str, float], symbol_a: str, symbol_b: str) -> float:
    """Minimum separation of two atoms: the sum of their radii b_A/2 + b_B/2, Angstrom.

    :param bond_lengths: element -> bond length b, Angstrom.
    """
    return 0.5 * (bond_lengths[symbol_a] + bond_lengths[symbol_b])


def _draw_bond_lengths(
    symbols: Sequence[str], ranges: Mapping[str, tuple[float, float]], rng: np.random.Generator
) -> dict[str, float]:
    missing = sorted(set(symbols) - set(ranges))
    if missing:
        raise ValueError(f'no bond-length range for {missing}; add them to bond_length_ranges')
    return {symbol: float(rng.uniform(*ranges[symbol])) for symbol in sorted(set(symbols))}


def _random_cell(volume: float, max_aspect_ratio: float, rng: np.random.Generator) -> np.ndarray:
    """A random triclinic cell (3, 3) of the given volume (Angstrom^3), not flatter than allowed."""
    while True:
        lengths = rng.uniform(1.0, max_aspect_ratio, size=3)
        alpha, beta, gamma = np.radians(rng.uniform(*_ANGLE_RANGE_DEGREES, size=3))
        cos_a, cos_b, cos_g = np.cos([alpha, beta, gamma])
        flatness_squared = 1 - cos_a**2 - cos_b**2 - cos_g**2 + 2 * cos_a * cos_b * cos_g
        if flatness_squared > _MIN_FLATNESS**2:
            break
    cell = cellpar_to_cell([*lengths, *np.degrees([alpha, beta, gamma])])
    return cell * (volume / abs(np.linalg.det(cell))) ** (1.0 / 3.0)


_IMAGE_SHIFTS = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)], dtype=float)


def _periodic_distances(trials_fractional: np.ndarray, fractional: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Shortest periodic distances (n_trials, n_atoms), Angstrom, between fractional positions.

    Exact for separations up to the smallest cell height: the fractional difference is wrapped into
    [-0.5, 0.5) and the 27 neighbouring images are compared.
    """
    wrapped = (trials_fractional[:, None, :] - fractional[None, :, :] + 0.5) % 1.0 - 0.5
    images = (wrapped[:, :, None, :] + _IMAGE_SHIFTS) @ cell
    return np.linalg.norm(images, axis=-1).min(axis=-1)


def _place_one_atom(
    fractional: np.ndarray, limits: np.ndarray, cell: np.ndarray, max_attempts: int, rng: np.random.Generator
) -> np.ndarray | None:
    """A random fractional position (3,) at least ``limits`` from every placed atom, or None.

    Trials are drawn in batches and the first one that fits is kept, which is the same as trying
    them one after another.
    """
    for batch_start in range(0, max_attempts, _TRIAL_BATCH):
        trials = rng.random((min(_TRIAL_BATCH, max_attempts - batch_start), 3))
        fits = np.all(_periodic_distances(trials, fractional, cell) >= limits, axis=1)
        if fits.any():
            return trials[np.argmax(fits)]
    return None


def _place_atoms(
    symbols: Sequence[str],
    cell: np.ndarray,
    bond_lengths: Mapping[str, float],
    max_attempts_per_atom: int,
    rng: np.random.Generator,
) -> np.ndarray | None:
    """Fractional positions (n_atoms, 3) honouring the minimum separations, or None on failure."""
    fractional = np.empty((0, 3))
    for index, symbol in enumerate(symbols):
        limits = np.array([minimum_separation(bond_lengths, symbol, other) for other in symbols[:index]])
        position = _place_one_atom(fractional, limits, cell, max_attempts_per_atom, rng)
        if position is None:
            return None
        fractional = np.vstack([fractional, position])
    return fractional


def random_structure(
    formula: str,
    n_formula_units: int,
    rng: np.random.Generator,
    *,
    volume_per_atom: float = 20.0,
    bond_length_ranges: Mapping[str, tuple[float, float]] = THESIS_BOND_LENGTH_RANGES,
    max_aspect_ratio: float = 2.0,
    max_attempts_per_atom: int = 300,
    max_restarts: int = 100,
) -> Atoms:
    """One random periodic structure of ``n_formula_units`` units of ``formula``.

    :param formula: composition of one formula unit, e.g. ``'Li3PS4'``.
    :param n_formula_units: number of formula units in the cell.
    :param rng: random number generator.
    :param volume_per_atom: cell volume per atom, Angstrom^3 (thesis: 20).
    :param bond_length_ranges: element -> (min, max) bond length, Angstrom.
    :param max_aspect_ratio: largest ratio of two cell lengths before scaling.
    :param max_attempts_per_atom: random trials for one atom before the cell is abandoned.
    :param max_restarts: new cells tried before giving up.
    :return: periodic Atoms; ``info['bond_lengths']`` holds the drawn b_X (Angstrom).
    """
    if n_formula_units < 1:
        raise ValueError(f'n_formula_units must be at least 1, got {n_formula_units}')
    symbols = string2symbols(formula) * n_formula_units
    volume = volume_per_atom * len(symbols)
    for _ in range(max_restarts):
        bond_lengths = _draw_bond_lengths(symbols, bond_length_ranges, rng)
        cell = _random_cell(volume, max_aspect_ratio, rng)
        face_distances = 1.0 / np.linalg.norm(Cell(cell).reciprocal(), axis=1)
        if face_distances.min() < max(bond_lengths.values()):
            continue
        fractional = _place_atoms(symbols, cell, bond_lengths, max_attempts_per_atom, rng)
        if fractional is not None:
            return Atoms(symbols, scaled_positions=fractional, cell=cell, pbc=True, info={'bond_lengths': bond_lengths})
    raise RuntimeError(
        f'could not place {len(symbols)} atoms of {n_formula_units} x {formula} at {volume_per_atom} A^3/atom '
        f'in {max_restarts} random cells; increase volume_per_atom, max_attempts_per_atom or max_restarts, '
        'or shorten bond_length_ranges'
    )


def random_structures(
    formula: str,
    n_structures: int,
    rng: np.random.Generator,
    *,
    formula_unit_choices: Sequence[int] = (1, 2, 3),
    volume_per_atom: float = 20.0,
    bond_length_ranges: Mapping[str, tuple[float, float]] = THESIS_BOND_LENGTH_RANGES,
) -> list[Atoms]:
    """Many random structures, each with a number of formula units drawn from ``formula_unit_choices``.

    :param formula: composition of one formula unit, e.g. ``'Li3PS4'``.
    :param n_structures: number of structures (thesis: 10,000).
    :param rng: random number generator.
    :param formula_unit_choices: allowed numbers of formula units (thesis: 1 to 3).
    :param volume_per_atom: cell volume per atom, Angstrom^3.
    :param bond_length_ranges: element -> (min, max) bond length, Angstrom.
    :return: list of periodic Atoms.
    """
    counts = rng.choice(np.asarray(formula_unit_choices), size=n_structures)
    return [
        random_structure(
            formula, int(count), rng, volume_per_atom=volume_per_atom, bond_length_ranges=bond_length_ranges
        )
        for count in counts
    ]


def most_dissimilar_structures(
    frames: Sequence[Atoms],
    n_select: int,
    parameters: SoapParameters = GAP_SOAP_PARAMETERS,
    zeta: int = 2,
    *,
    start_index: int = 0,
) -> np.ndarray:
    """Indices of the ``n_select`` most dissimilar frames by FPS on the global SOAP kernel distance.

    :param frames: candidate structures (Angstrom).
    :param n_select: how many to keep (thesis: 20 for GAP-RSS, 30 for AIRSS).
    :param parameters: SOAP hyperparameters (default: the GAP's).
    :param zeta: kernel exponent.
    :param start_index: first frame picked.
    :return: frame indices (n_select,) in order of selection.
    """
    descriptors = global_soap(frames, parameters)
    return farthest_point_sampling_on_descriptors(descriptors, n_select, zeta, start_index=start_index)
