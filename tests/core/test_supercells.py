"""Known-answer tests for aiida_lps.structures.supercells: widths of skewed cells and the smallest supercell."""
import itertools

from ase.build import bulk
import numpy as np
import pytest

from aiida_lps.structures.supercells import perpendicular_widths, replicate_to_minimum_size, supercell_repetitions

#: beta-Li3PS4 (Pnma, 32 atoms), lattice constants in Angstrom (Homma et al., Solid State Ionics 182, 53 (2011)).
BETA_LI3PS4_CELL = np.diag([12.82, 8.22, 6.12])


def test_widths_of_an_orthorhombic_cell_are_its_edges():
    np.testing.assert_allclose(perpendicular_widths(BETA_LI3PS4_CELL), [12.82, 8.22, 6.12])


def test_widths_of_a_skewed_cell_are_the_plane_spacings():
    # fcc primitive cell of cubic constant a: faces are {111} planes, spacing a / sqrt(3)
    primitive = bulk('Cu', 'fcc', a=3.6).cell.array
    np.testing.assert_allclose(perpendicular_widths(primitive), 3.6 / np.sqrt(3) * np.ones(3))
    # hexagonal cell: the width along a is a sin(60 deg), along c it is c
    hexagonal = np.array([[4.0, 0, 0], [-2.0, 2.0 * np.sqrt(3), 0], [0, 0, 7.0]])
    np.testing.assert_allclose(perpendicular_widths(hexagonal), [4.0 * np.sqrt(3) / 2, 4.0 * np.sqrt(3) / 2, 7.0])


def test_a_flat_cell_is_refused():
    with pytest.raises(ValueError, match='no volume'):
        perpendicular_widths([[1, 0, 0], [0, 1, 0], [1, 1, 0]])


def test_large_enough_cells_are_kept():
    assert supercell_repetitions(BETA_LI3PS4_CELL, 32, min_width_A=6.0, min_atoms=32) == (1, 1, 1)


def test_width_criterion_alone():
    assert supercell_repetitions(BETA_LI3PS4_CELL, 32, min_width_A=12.0) == (1, 2, 2)
    assert supercell_repetitions(BETA_LI3PS4_CELL, 32, min_width_A=12.83) == (2, 2, 3)


def test_atom_criterion_picks_the_most_isotropic_of_the_smallest():
    # 128 atoms = 4 cells; of all 4-cell supercells (2,2,1) has widths (25.6, 16.4, 6.1), (1,2,2) the best
    # smallest width 12.2 Angstrom
    assert supercell_repetitions(BETA_LI3PS4_CELL, 32, min_atoms=128) == (1, 2, 2)
    # a cube of one atom to 128 atoms: 4 x 4 x 8 in the first (lexicographic) orientation
    assert supercell_repetitions(np.eye(3) * 3.0, 1, min_atoms=128) == (4, 4, 8)
    # 100 atoms from 1: no triple of 100 is as isotropic as 5 x 5 x 4, which is the answer
    assert supercell_repetitions(np.eye(3) * 3.0, 1, min_atoms=100) == (4, 5, 5)


@pytest.mark.parametrize('min_width_A, min_atoms', [(10.0, 50), (20.0, 0), (0.0, 300), (15.0, 400)])
def test_result_is_the_smallest_of_a_brute_force_search(min_width_A, min_atoms):
    cell = bulk('Cu', 'fcc', a=5.0).cell.array @ np.diag([1.0, 1.3, 0.8])  # skewed and anisotropic
    widths = perpendicular_widths(cell)
    result = supercell_repetitions(cell, 3, min_width_A=min_width_A, min_atoms=min_atoms)
    feasible = [
        n for n in itertools.product(range(1, 12), repeat=3)
        if np.all(np.array(n) * widths >= min_width_A) and 3 * np.prod(n) >= min_atoms
    ]
    fewest = min(np.prod(n) for n in feasible)
    assert np.prod(result) == fewest
    best_width = max(np.min(np.array(n) * widths) for n in feasible if np.prod(n) == fewest)
    assert np.min(np.array(result) * widths) == pytest.approx(best_width)


def test_replication_repeats_the_atoms():
    atoms = bulk('SLi2', 'fluorite', a=5.71, cubic=True)  # 12 atoms, 5.71 Angstrom cube
    supercell = replicate_to_minimum_size(atoms, min_width_A=10.0)
    assert len(supercell) == 8 * 12
    np.testing.assert_allclose(supercell.cell.lengths(), [11.42] * 3)
    assert supercell.get_chemical_formula() == 'Li64S32'


def test_non_periodic_structures_are_refused():
    atoms = bulk('Li', 'bcc', a=3.5)
    atoms.pbc = [True, True, False]
    with pytest.raises(ValueError, match='fully periodic'):
        replicate_to_minimum_size(atoms, min_atoms=10)
