"""Glass sampling (thesis Scheme 2) with the overlap cleaner: composition, density, distances, seeds.

Distance thresholds below which a pair is physically impossible (Angstrom): P-S 1.85 (the
shortest P-S bond, terminal P=S in P4S10, is ~1.90), P-P 2.1 (P-P single bonds are 2.2-2.3) and a
P-P below 3.0 only inside a P2S6^4- (non-bonded P...P are above 3.3 in the crystals; the
edge-sharing P2S6^2- ring, 2.9, is not sampled here), S-S 1.9 (S-S bond 2.05), Li-S 2.0, Li-P
2.2, Li-Li 1.9 (crystals: 2.27, 2.95, 2.97).
"""

import numpy as np
import pytest
from ase import Atoms
from ase.neighborlist import neighbor_list

from aiida_lps.analysis.motifs import assign_motifs_by_connectivity
from aiida_lps.sampling.glass import (compress_to_density, compression_densities, density_g_cm3, sample_glass,
                                      scale_rigid_units)
from aiida_lps.sampling.overlap_relax import CONTACT_DISTANCES, relax_overlaps
from aiida_lps.structures.building_blocks import (BLOCK_ID_ARRAY, HYPO, ORTHO, PYRO, TEMPLATE_POSITIONS_ARRAY,
                                                  get_building_block, glass_recipe)

GLASSES = {
    'Li3PS4': ('Li3PS4', 12, None),
    'Li7P3S11': ('Li7P3S11', 4, None),
    'Li4P2S7': ('Li4P2S7', 8, None),
    'PS4:P2S6 1:1': ('Li3PS4', 12, {ORTHO: 1, HYPO: 1}),
}
IMPOSSIBLE_BELOW = {('P', 'S'): 1.85, ('P', 'P'): 2.1, ('S', 'S'): 1.9, ('Li', 'S'): 2.0, ('Li', 'P'): 2.2,
                    ('Li', 'Li'): 1.9}


@pytest.fixture(scope='module', params=list(GLASSES))
def sampled(request):
    composition, n_formula_units, motif_ratio = GLASSES[request.param]
    recipe = glass_recipe(composition, n_formula_units, motif_ratio)
    return recipe, sample_glass(recipe, relax_overlaps, seed=7)


def _pairs(atoms, cutoff):
    first, second, distances = neighbor_list('ijd', atoms, cutoff)
    symbols = np.array(atoms.get_chemical_symbols())
    return symbols[first], symbols[second], first, second, distances


def test_composition_and_charge_neutrality(sampled):
    recipe, atoms = sampled
    symbols = atoms.get_chemical_symbols()
    assert {element: symbols.count(element) for element in ('Li', 'P', 'S')} == recipe.element_counts
    assert recipe.total_charge == 0
    # the motifs survive the sampling intact: connectivity finds exactly the recipe's anions
    labels = list(assign_motifs_by_connectivity(atoms))
    per_anion = {ORTHO: 1, PYRO: 2, HYPO: 2}
    assert {name: labels.count(name) // per_anion[name] for name in set(labels)} == recipe.motif_counts
    first_symbols, second_symbols, first, _, _ = _pairs(atoms, 2.4)
    bonded_sulfur = set(first[(first_symbols == 'S') & (second_symbols == 'P')])
    assert symbols.count('S') - len(bonded_sulfur) == recipe.n_isolated_sulfur


def test_final_density_is_the_target(sampled):
    _, atoms = sampled
    assert density_g_cm3(atoms) == pytest.approx(1.8, rel=1e-3)
    info = atoms.info['glass_sampling']
    assert info['final_density_g_cm3'] == pytest.approx(1.8, rel=1e-3)
    assert info['n_compression_steps'] == len(compression_densities(1.3, 1.8))


def test_no_physically_impossible_distances(sampled):
    _, atoms = sampled
    first_symbols, second_symbols, first, second, distances = _pairs(atoms, 3.0)
    for (a, b), limit in IMPOSSIBLE_BELOW.items():
        pair = (first_symbols == a) & (second_symbols == b)
        assert np.all(distances[pair] >= limit), f'{a}-{b} at {distances[pair].min():.2f} A'
    close_pp = (first_symbols == 'P') & (second_symbols == 'P')
    labels = dict(zip(np.flatnonzero(np.array(atoms.get_chemical_symbols()) == 'P'),
                      assign_motifs_by_connectivity(atoms)))
    assert all(labels[i] == HYPO for i in first[close_pp])


def test_units_are_out_of_contact_and_intact(sampled):
    _, atoms = sampled
    first_symbols, second_symbols, first, second, distances = _pairs(atoms, 4.0)
    units = atoms.arrays[BLOCK_ID_ARRAY]
    different_units = units[first] != units[second]
    contact = np.array([CONTACT_DISTANCES.get((a, b), CONTACT_DISTANCES.get((b, a)))
                        for a, b in zip(first_symbols, second_symbols)])
    assert np.all(distances[different_units] >= 0.98 * contact[different_units])
    template = atoms.arrays[TEMPLATE_POSITIONS_ARRAY]
    same_unit = ~different_units
    expected = np.linalg.norm(template[second[same_unit]] - template[first[same_unit]], axis=1)
    np.testing.assert_allclose(distances[same_unit], expected, atol=0.02)


def test_metadata(sampled):
    recipe, atoms = sampled
    info = atoms.info['glass_sampling']
    assert info['seed'] == 7
    assert info['motif_counts'] == recipe.motif_counts
    assert info['n_lithium'] == recipe.n_lithium
    assert info['target_density_g_cm3'] == 1.8
    assert info['initial_density_g_cm3'] == 1.3


def test_same_seed_same_glass_other_seed_other_glass():
    recipe = glass_recipe('Li7P3S11', 2)
    first, again, other = (sample_glass(recipe, relax_overlaps, seed=seed) for seed in (3, 3, 4))
    np.testing.assert_array_equal(first.positions, again.positions)
    np.testing.assert_array_equal(first.cell.array, again.cell.array)
    assert first.get_chemical_symbols() == other.get_chemical_symbols()
    assert np.abs(first.positions - other.positions).max() > 1.0


def test_compression_schedule_lands_on_target():
    densities = compression_densities(1.3, 1.8, 0.99)
    assert densities[-1] == 1.8
    np.testing.assert_allclose(densities[1:-1] / densities[:-2], 0.99**-3)
    assert densities[-1] / densities[-2] <= 0.99**-3
    n_steps = int(np.ceil(np.log(1.8 / 1.3) / -np.log(0.99)))
    assert len(compression_densities(1.3, 1.8, 0.99, n_scaled_axes=1)) == n_steps
    assert len(compression_densities(1.5, 1.5)) == 0
    with pytest.raises(ValueError, match='below the initial'):
        compression_densities(1.8, 1.3)
    with pytest.raises(ValueError, match='scale_factor'):
        compression_densities(1.3, 1.8, 1.01)


def _two_units():
    """Two PS4^3- units and one Li in a 12 A cube (rigid-unit bookkeeping as the sampler writes it)."""
    block = get_building_block(ORTHO)
    atoms = Atoms(cell=np.eye(3) * 12.0, pbc=True)
    for unit, centre in enumerate(([3.0, 3.0, 3.0], [7.0, 3.0, 3.0])):
        part = Atoms(block.symbols, positions=block.positions + centre)
        part.new_array(BLOCK_ID_ARRAY, np.full(len(part), unit))
        part.new_array(TEMPLATE_POSITIONS_ARRAY, block.positions.copy())
        atoms += part
    lithium = Atoms('Li', positions=[[11.5, 11.5, 11.5]])
    lithium.new_array(BLOCK_ID_ARRAY, np.array([2]))
    lithium.new_array(TEMPLATE_POSITIONS_ARRAY, np.zeros((1, 3)))
    return atoms + lithium


def test_compression_along_one_axis_keeps_units_rigid():
    atoms = _two_units()
    target = 1.5 * density_g_cm3(atoms)
    internal = atoms[:5].get_all_distances()
    n_steps = compress_to_density(atoms, lambda structure: structure, target, axis=2)
    assert density_g_cm3(atoms) == pytest.approx(target, rel=1e-12)
    np.testing.assert_allclose(atoms.cell.lengths()[:2], 12.0)
    assert atoms.cell.lengths()[2] == pytest.approx(12.0 / 1.5)
    assert n_steps == len(compression_densities(target / 1.5, target, n_scaled_axes=1))
    np.testing.assert_allclose(atoms[:5].get_all_distances(mic=True), internal, atol=1e-10)


def test_scaling_moves_unit_centres_with_the_cell():
    atoms = _two_units()
    scale_rigid_units(atoms, [0.5, 1.0, 1.0])
    np.testing.assert_allclose(atoms[:5].positions.mean(axis=0), [1.5, 3.0, 3.0], atol=1e-12)
    np.testing.assert_allclose(atoms[5:10].positions.mean(axis=0), [3.5, 3.0, 3.0], atol=1e-12)
    # the Li, wrapped through the periodic boundary, keeps its fractional position
    np.testing.assert_allclose(atoms.get_scaled_positions()[10], [11.5 / 12] * 3, atol=1e-12)


def test_relax_that_changes_the_cell_is_refused():
    atoms = _two_units()

    def cell_relax(structure):
        structure.set_cell(structure.cell * 1.1, scale_atoms=True)
        return structure

    with pytest.raises(ValueError, match='changed the cell'):
        compress_to_density(atoms, cell_relax, 2 * density_g_cm3(atoms))


def test_overlap_cleaner_pushes_units_to_contact():
    atoms = _two_units()
    atoms.positions[5:10] -= [1.5, 0.0, 0.0]  # the two tetrahedra now overlap
    relaxed = relax_overlaps(atoms)
    symbols = np.array(relaxed.get_chemical_symbols())
    between = relaxed.get_all_distances(mic=True)[:5, 5:10]
    contact = np.array([[CONTACT_DISTANCES.get((a, b), CONTACT_DISTANCES.get((b, a))) for b in symbols[5:10]]
                        for a in symbols[:5]])
    assert np.all(between >= contact - 0.01)
    for unit in (slice(0, 5), slice(5, 10)):
        np.testing.assert_allclose(
            relaxed[unit].get_all_distances(mic=True), atoms[unit].get_all_distances(), atol=0.01
        )


@pytest.mark.parametrize('seed', range(5))
def test_lithium_sites_keep_their_distances_before_any_relaxation(seed):
    """Li are placed at least 2.2 A from S and Li and 2.6 A from P, with no relaxation to repair them."""
    from ase.geometry import get_distances

    from aiida_lps.sampling.glass import lithium_sites, place_building_blocks

    rng = np.random.default_rng(seed)
    recipe = glass_recipe('Li3PS4', 12)
    anions = place_building_blocks(recipe, 1.3, rng)
    sites = lithium_sites(anions, recipe.n_lithium, rng)
    assert sites.shape == (recipe.n_lithium, 3)
    symbols = np.array(anions.get_chemical_symbols())
    for element, minimum in (('S', 2.2), ('P', 2.6)):
        distances = get_distances(sites, anions.positions[symbols == element], anions.cell, pbc=True)[1]
        assert distances.min() >= minimum - 1e-9
    lithium = get_distances(sites, cell=anions.cell, pbc=True)[1]
    assert lithium[np.triu_indices(len(sites), 1)].min() >= 2.2 - 1e-9
