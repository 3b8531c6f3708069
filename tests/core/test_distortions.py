"""P-P distance scans of a P2S6^4- unit (thesis 5.4): exact distances, one atom moved along the bond axis."""
import subprocess
import sys

import numpy as np
import pytest

from aiida_lps.structures.building_blocks import HYPO, ORTHO, get_building_block
from aiida_lps.structures.distortions import phosphorus_pairs, pp_distance_scan


def _hypo_in_box(shift=(0.0, 0.0, 0.0)):
    """P2S6^4- (P-P 2.26 Angstrom) in a 9 Angstrom periodic box, translated by ``shift`` and wrapped."""
    atoms = get_building_block(HYPO).to_atoms()
    atoms.set_cell([9.0, 9.0, 9.0])
    atoms.pbc = True
    atoms.translate(np.asarray(shift) + 4.5)
    atoms.wrap()
    return atoms


def _phosphorus(atoms):
    return [int(index) for index in np.flatnonzero(np.asarray(atoms.get_chemical_symbols()) == 'P')]


def test_the_p2s6_pair_is_found_with_its_bond_length():
    atoms = _hypo_in_box()
    [(i, j, distance)] = phosphorus_pairs(atoms)
    assert [i, j] == _phosphorus(atoms)
    assert distance == pytest.approx(2.26, abs=1e-6)
    assert phosphorus_pairs(atoms, max_distance_A=2.0) == []


@pytest.mark.parametrize('shift', [(0.0, 0.0, 0.0), (4.5, 4.5, 4.5)])  # the second puts the P-P bond across faces
def test_scan_sets_each_distance_by_moving_one_phosphorus_along_the_bond(shift):
    atoms = _hypo_in_box(shift)
    i, j = _phosphorus(atoms)
    axis = atoms.get_distance(i, j, mic=True, vector=True) / 2.26
    grid = [1.8, 2.0, 2.26, 2.6, 3.2]
    scan = pp_distance_scan(atoms, grid)
    assert [frame.info['pp_distance_A'] for frame in scan] == grid
    for distance, frame in zip(grid, scan):
        assert frame.get_distance(i, j, mic=True) == pytest.approx(distance, abs=1e-9)
        assert frame.info['displaced_atom'] == j
        moved = frame.positions - atoms.positions
        np.testing.assert_allclose(np.delete(moved, j, axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(moved[j], (distance - 2.26) * axis, atol=1e-9)  # along the P->P axis
        np.testing.assert_allclose(frame.cell.array, atoms.cell.array)
    np.testing.assert_allclose(atoms.get_distance(i, j, mic=True), 2.26, atol=1e-9)  # the input is untouched


def test_a_chosen_pair_moves_its_second_atom():
    atoms = _hypo_in_box()
    i, j = _phosphorus(atoms)
    [frame] = pp_distance_scan(atoms, [2.5], pair=(j, i))
    assert frame.info['displaced_atom'] == i
    np.testing.assert_allclose(frame.positions[j], atoms.positions[j])


def test_structures_without_a_pp_bond_and_bad_pairs_are_refused():
    ortho = get_building_block(ORTHO).to_atoms()
    ortho.set_cell([9.0, 9.0, 9.0])
    with pytest.raises(ValueError, match='no P-P pair within 2.6 Angstrom: the scan needs a P2S6'):
        pp_distance_scan(ortho, [2.0])
    atoms = _hypo_in_box()
    with pytest.raises(ValueError, match='must name two different P atoms'):
        pp_distance_scan(atoms, [2.0], pair=(_phosphorus(atoms)[0], 7))
    with pytest.raises(ValueError, match='positive distances'):
        pp_distance_scan(atoms, [0.0, 2.0])


def test_core_modules_do_not_import_aiida():
    code = ('import sys, aiida_lps.structures.distortions, aiida_lps.sampling.selection; '
            'assert "aiida" not in sys.modules, "aiida imported"')
    subprocess.run([sys.executable, '-c', code], check=True)
