"""Smallest diagonal supercell that meets a minimum size: perpendicular widths and/or a number of atoms.

MD of crystals needs cells large enough that an atom does not interact with its own periodic images through
the potential and that correlated motion through the boundaries stays small. The relevant size of a cell along
lattice vector a_i is its perpendicular width, the distance between the two lattice planes spanned by the other
two vectors,

    w_i = V / |a_j x a_k|,

which for a skewed (monoclinic, triclinic) cell is smaller than |a_i|. Replicating the cell n_i times along
a_i multiplies w_i by n_i. A sphere of radius r fits into the cell without touching its own images when every
width is at least 2 r (the GAP cutoff of 6 Angstrom gives 12 Angstrom).

Among all repetitions (n_1, n_2, n_3) that satisfy both criteria, the one with the fewest atoms is returned;
ties go to the most isotropic supercell (the largest smallest width), then to the lexicographically smallest
repetition, so the choice is deterministic.

Reference: the thesis (section 6) used alpha-Li3PS4 2x2x2 (256 atoms), beta/gamma 2x2x1 (128) and Li7P3S11
2x2x2 (336); SPEC section 5.
"""
import math

import numpy as np

__all__ = ('perpendicular_widths', 'replicate_to_minimum_size', 'supercell_repetitions')


def perpendicular_widths(cell):
    """Distances between opposite faces of a cell.

    :param cell: cell vectors as rows, shape (3, 3), Angstrom.
    :return: width along each lattice vector, V / |a_j x a_k|, shape (3,), Angstrom.
    """
    cell = np.asarray(cell, dtype=float)
    volume = abs(np.linalg.det(cell))
    if volume < 1e-12:
        raise ValueError('the cell has no volume: give three linearly independent cell vectors')
    face_areas = np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)
    return volume / face_areas


def supercell_repetitions(cell, n_atoms, *, min_width_A=0.0, min_atoms=0):
    """Smallest diagonal repetition of a cell with every width >= ``min_width_A`` and >= ``min_atoms`` atoms.

    :param cell: cell vectors as rows, shape (3, 3), Angstrom.
    :param n_atoms: number of atoms in the cell.
    :param min_width_A: smallest allowed perpendicular width of the supercell, Angstrom.
    :param min_atoms: smallest allowed number of atoms in the supercell.
    :return: repetitions (n_1, n_2, n_3) along the three cell vectors, (1, 1, 1) if the cell is large enough.
    """
    if n_atoms < 1:
        raise ValueError(f'the cell must contain atoms, got {n_atoms}')
    widths = perpendicular_widths(cell)
    fewest_per_axis = [max(1, math.ceil(min_width_A / width - 1e-9)) for width in widths]
    n_cells = max(math.ceil(min_atoms / n_atoms), math.prod(fewest_per_axis))
    while True:  # ends: fewest_per_axis with one axis multiplied by ceil(min_atoms / n_atoms) satisfies both
        candidates = [
            repetitions for repetitions in _factorisations(n_cells)
            if all(n >= fewest for n, fewest in zip(repetitions, fewest_per_axis))
        ]
        if candidates:
            return min(candidates, key=lambda repetitions: (-float(np.min(widths * repetitions)), repetitions))
        n_cells += 1


def _factorisations(n_cells):
    """All ordered triples of positive integers whose product is ``n_cells``."""
    divisors = [d for d in range(1, n_cells + 1) if n_cells % d == 0]
    return [(first, second, n_cells // (first * second))
            for first in divisors for second in divisors if (n_cells // first) % second == 0]


def replicate_to_minimum_size(atoms, *, min_width_A=0.0, min_atoms=0):
    """The structure repeated to the smallest supercell of :func:`supercell_repetitions`.

    :param atoms: periodic structure (ase.Atoms), Angstrom.
    :param min_width_A: smallest allowed perpendicular width, Angstrom.
    :param min_atoms: smallest allowed number of atoms.
    :return: a new ase.Atoms, the input repeated (n_1, n_2, n_3) times (a copy when already large enough).
    """
    if not all(atoms.pbc):
        raise ValueError('only fully periodic structures can be replicated; set atoms.pbc = True')
    repetitions = supercell_repetitions(atoms.cell.array, len(atoms), min_width_A=min_width_A, min_atoms=min_atoms)
    return atoms.repeat(repetitions)
