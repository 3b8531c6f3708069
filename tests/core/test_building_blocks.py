"""Known answers for the rigid thiophosphate templates and the glass recipes (SPEC §1, §4)."""

from fractions import Fraction

import numpy as np
import pytest
from ase.geometry import get_dihedrals

from aiida_lps.structures.building_blocks import (BUILDING_BLOCKS, HYPO, META, ORTHO, PYRO, SULFIDE,
                                                  formula_unit_counts, get_building_block, glass_recipe,
                                                  ideal_motif_ratio)


def _distances(name, first, second):
    atoms = get_building_block(name).to_atoms()
    symbols = np.array(atoms.get_chemical_symbols())
    distances = atoms.get_all_distances()
    mask = (symbols[:, None] == first) & (symbols[None, :] == second) & (distances > 0)
    return distances[mask]


@pytest.mark.parametrize('name, formula, charge', [
    (ORTHO, 'PS4', -3), (PYRO, 'P2S7', -4), (HYPO, 'P2S6', -4), (META, 'P2S6', -2), (SULFIDE, 'S', -2),
])
def test_template_formula_and_charge(name, formula, charge):
    block = get_building_block(name)
    assert block.to_atoms().get_chemical_formula() == formula
    assert block.charge == charge
    np.testing.assert_allclose(block.positions.mean(axis=0), 0.0, atol=1e-12)


def test_ortho_is_a_regular_tetrahedron():
    np.testing.assert_allclose(_distances(ORTHO, 'P', 'S'), 2.05)
    np.testing.assert_allclose(_distances(ORTHO, 'S', 'S'), 2.05 * np.sqrt(8 / 3))


def test_pyro_has_one_bridging_sulfur():
    bonds = _distances(PYRO, 'P', 'S')
    assert sorted(np.round(bonds[bonds < 2.4], 2)) == [2.03] * 6 + [2.15] * 2
    np.testing.assert_allclose(_distances(PYRO, 'P', 'P'), 2 * 2.15 * np.sin(np.radians(59.0)))


def test_hypo_is_staggered_with_a_direct_pp_bond():
    atoms = get_building_block(HYPO).to_atoms()
    np.testing.assert_allclose(_distances(HYPO, 'P', 'P'), 2.26)
    assert np.allclose(_distances(HYPO, 'P', 'S')[_distances(HYPO, 'P', 'S') < 2.4], 2.04)
    # S(upper)-P-P-S(lower) dihedrals of a staggered ethane-like anion are +-60 and 180 degrees
    dihedrals = get_dihedrals([atoms[0].position - atoms[1].position] * 3,
                              [atoms[4].position - atoms[0].position] * 3,
                              [atoms[i].position - atoms[4].position for i in (5, 6, 7)])
    np.testing.assert_allclose(sorted(dihedrals), [60.0, 180.0, 300.0], atol=1e-6)


def test_meta_has_two_sulfur_shared_by_both_phosphorus():
    atoms = get_building_block(META).to_atoms()
    symbols = np.array(atoms.get_chemical_symbols())
    phosphorus = np.flatnonzero(symbols == 'P')
    bonded_to = (atoms.get_all_distances()[phosphorus] < 2.4) & (symbols == 'S')
    assert np.count_nonzero(bonded_to.all(axis=0)) == 2
    assert np.count_nonzero(bonded_to.sum(axis=0) == 1) == 4


@pytest.mark.parametrize('composition, n_formula_units, motif_ratio, motifs, n_sulfide, n_lithium, sulfide_charge', [
    ('Li3PS4', 4, None, {ORTHO: 4}, 0, 12, 0),
    ('Li7P3S11', 2, None, {ORTHO: 2, PYRO: 2}, 0, 14, 0),
    ('Li4P2S7', 3, None, {PYRO: 3}, 0, 12, 0),
    ('Li4P2S6', 1, None, {HYPO: 1}, 0, 4, 0),
    ('LiPS3', 2, None, {META: 1}, 0, 2, 0),
    ('Li7PS6', 1, None, {ORTHO: 1}, 2, 7, -4),
    # thesis §5.4: PS4:P2S6^4- 1:1 plus 2 S per P2S6^4- keeps Li3PS4; the two S carry -2 together
    ('Li3PS4', 6, {ORTHO: 1, HYPO: 1}, {ORTHO: 2, HYPO: 2}, 4, 18, -4),
    # P2S7^4- in Li3PS4 stoichiometry leaves one S^2- per P2S7
    ('Li3PS4', 2, {PYRO: 1}, {PYRO: 1}, 1, 6, -2),
    (0.75, 4, None, {ORTHO: 2}, 0, 6, 0),
    (0.7, 10, None, {ORTHO: 2, PYRO: 2}, 0, 14, 0),
    (2 / 3, 3, None, {PYRO: 1}, 0, 4, 0),
])
def test_glass_recipe(composition, n_formula_units, motif_ratio, motifs, n_sulfide, n_lithium, sulfide_charge):
    recipe = glass_recipe(composition, n_formula_units, motif_ratio)
    assert recipe.motif_counts == motifs
    assert recipe.n_isolated_sulfur == n_sulfide
    assert recipe.n_lithium == n_lithium
    assert recipe.isolated_sulfur_charge == sulfide_charge
    assert recipe.total_charge == 0
    expected = {element: count * n_formula_units for element, count in formula_unit_counts(composition).items()}
    assert recipe.element_counts == expected


def test_x_and_formula_give_the_same_recipe():
    # one formula unit (Li2S)_x(P2S5)_(1-x) has 7 - 4x atoms (SPEC §1)
    assert sum(formula_unit_counts(0.7).values()) == 7 - 4 * Fraction(7, 10)
    assert glass_recipe(0.7, 10) == glass_recipe('Li7P3S11', 2)
    assert glass_recipe(0.75, 8) == glass_recipe('Li3PS4', 4)


def test_ideal_ratio_reproduces_spec():
    assert ideal_motif_ratio({'Li': 3, 'P': 1, 'S': 4}) == {ORTHO: 1}
    assert ideal_motif_ratio({'Li': 7, 'P': 3, 'S': 11}) == {ORTHO: 1, PYRO: 1}
    assert ideal_motif_ratio({'Li': 4, 'P': 2, 'S': 7}) == {PYRO: 1}
    assert ideal_motif_ratio({'Li': 4, 'P': 2, 'S': 6}) == {HYPO: 2}


@pytest.mark.parametrize('composition, n_formula_units, motif_ratio, message', [
    ('Li4P2S6', 1, {PYRO: 1}, 'negative isolated S'),
    ('Li3PS4', 1, {PYRO: 1}, 'cannot be split into whole motifs'),
    ('Li3PS4', 2, {ORTHO: 1, HYPO: 1}, 'cannot be split into whole motifs'),
    (0.7, 3, None, 'not an integer'),
    ('Li5PS4', 1, None, 'oxidation state'),
    ('Li5PS4', 1, {ORTHO: 1}, 'not charge neutral'),
    ('Li2PS4', 1, {ORTHO: 1}, 'not charge neutral'),
    ('Li3PS4', 1, {SULFIDE: 1}, 'may only name thiophosphates'),
    ('Li3PS4', 1, {ORTHO: -1}, 'non-negative'),
    ('Li3PO4', 1, None, 'only Li, P and S'),
    ('Li2S', 1, None, 'no P'),
    (0.0, 1, None, 'outside'),
    (0.123456, 1, None, 'ratio of small integers'),
    ('Li3PS4', 0, None, 'positive integer'),
])
def test_impossible_recipes_are_refused(composition, n_formula_units, motif_ratio, message):
    with pytest.raises(ValueError, match=message):
        glass_recipe(composition, n_formula_units, motif_ratio)


def test_unknown_block_is_refused():
    with pytest.raises(ValueError, match='unknown building block'):
        get_building_block('PS3')
    assert set(BUILDING_BLOCKS) == {ORTHO, PYRO, HYPO, META, SULFIDE}
