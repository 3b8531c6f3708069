"""Known-answer tests of the removal GA (aiida_lps.sampling.genetic)."""

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk

from aiida_lps.analysis.formation import LineComposition
from aiida_lps.sampling.genetic import (
    GeneticSettings,
    crossover_removals,
    mutate_removal,
    random_removal,
    removal_counts,
    removal_fingerprint,
    remove_atoms,
    search_removals,
)

GAMMA_LI3PS4_CIF = Path('/work/shared/reference/structures/gamma-Li3PS4.cif')
CHARGE = {3: 1.0, 15: 5.0, 16: -2.0}
SCREENING_LENGTH = 3.0  # Angstrom
LI, P, S = 3, 15, 16


def rocksalt_parent(repeat, n_phosphorus, seed):
    """Rock-salt lattice (a = 5.6 A) with S on the anion sites and Li/P on the cation sites at random."""
    atoms = bulk('NaCl', 'rocksalt', a=5.6, cubic=True).repeat(repeat)
    cation_sites = np.flatnonzero(atoms.numbers == 11)
    numbers = np.where(atoms.numbers == 17, S, LI)
    numbers[np.random.default_rng(seed).choice(cation_sites, size=n_phosphorus, replace=False)] = P
    atoms.set_atomic_numbers(numbers)
    return atoms


def orthorhombic_distances(atoms):
    """Minimum-image distance matrix of an orthorhombic cell, shape (n_atoms, n_atoms), Angstrom."""
    cell = atoms.cell.array
    assert np.allclose(cell, np.diag(np.diag(cell))), 'the test energies need an orthorhombic cell'
    fractional = atoms.get_scaled_positions()[:, None] - atoms.get_scaled_positions()[None]
    return np.linalg.norm((fractional - np.rint(fractional)) @ cell, axis=-1)


def yukawa_pair_matrix(atoms):
    """Screened-Coulomb pair energies q_i q_j exp(-r/lambda)/r with formal charges, zero diagonal (eV)."""
    distances = orthorhombic_distances(atoms)
    np.fill_diagonal(distances, np.inf)
    charges = np.array([CHARGE[number] for number in atoms.numbers])
    return np.outer(charges, charges) * np.exp(-distances / SCREENING_LENGTH) / distances


def yukawa_energy(atoms):
    """Toy many-configuration energy: screened Coulomb sum over all pairs, eV."""
    return 0.5 * float(yukawa_pair_matrix(atoms).sum())


def brute_force_li2s_minimum(parent):
    """Lowest toy energy over every removal of 2 Li + 1 S, from the parent's pair energies."""
    pair_energy = yukawa_pair_matrix(parent)
    atom_energy = pair_energy.sum(axis=1)
    lithium, sulfur = np.flatnonzero(parent.numbers == LI), np.flatnonzero(parent.numbers == S)
    li_a, li_b = np.array(list(itertools.combinations(lithium, 2))).T
    energies = (
        0.5 * pair_energy.sum()
        - (atom_energy[li_a] + atom_energy[li_b])[:, None]
        - atom_energy[sulfur][None, :]
        + pair_energy[li_a, li_b][:, None]
        + pair_energy[li_a][:, sulfur]
        + pair_energy[li_b][:, sulfur]
    )
    best_pair, best_sulfur = np.unravel_index(np.argmin(energies), energies.shape)
    return energies.min(), np.sort([li_a[best_pair], li_b[best_pair], sulfur[best_sulfur]])


def assert_exact_units(removal, atomic_numbers, counts):
    assert np.unique(removal).size == removal.size
    found = dict(zip(*np.unique(atomic_numbers[removal], return_counts=True)))
    assert found == counts


def test_removal_counts():
    assert removal_counts('Li2S') == {LI: 2, S: 1}
    assert removal_counts('P2S5', n_units=2) == {P: 4, S: 10}
    with pytest.raises(ValueError, match='unknown removal unit'):
        removal_counts('Li3PS4')


@pytest.mark.parametrize('unit, n_units', [('Li2S', 1), ('Li2S', 3), ('P2S5', 1), ('P2S5', 2)])
def test_every_child_removes_exact_units(unit, n_units):
    parent = rocksalt_parent((2, 2, 2), n_phosphorus=8, seed=1)
    numbers = parent.get_atomic_numbers()
    counts = removal_counts(unit, n_units)
    species_indices = {number: np.flatnonzero(numbers == number) for number in counts}
    for seed in range(200):
        rng = np.random.default_rng(seed)
        parent_a = random_removal(species_indices, counts, rng)
        parent_b = random_removal(species_indices, counts, rng)
        child = crossover_removals(parent_a, parent_b, numbers, counts, rng)
        assert_exact_units(child, numbers, counts)
        assert set(np.intersect1d(parent_a, parent_b)) <= set(child) <= set(parent_a) | set(parent_b)
        mutant = mutate_removal(child, species_indices, numbers, rng)
        assert_exact_units(mutant, numbers, counts)
        (left,), (entered,) = np.setdiff1d(child, mutant), np.setdiff1d(mutant, child)
        assert numbers[left] == numbers[entered]


def test_search_finds_brute_force_li2s_optimum():
    parent = rocksalt_parent((2, 2, 2), n_phosphorus=8, seed=0)
    lowest_energy, best_removal = brute_force_li2s_minimum(parent)
    result = search_removals(parent, yukawa_energy, np.random.default_rng(3))
    assert result.search_space_size == 276 * 32  # C(24, 2) Li pairs times 32 S
    assert result.n_evaluations < result.search_space_size / 5
    assert result.candidates[0].energy == pytest.approx(lowest_energy, abs=1e-9)
    np.testing.assert_array_equal(result.candidates[0].removed_indices, best_removal)
    energies = [candidate.energy for candidate in result.candidates]
    assert energies == sorted(energies) and len(energies) == GeneticSettings().n_best
    lowest_per_generation = [record.lowest_energy for record in result.history]
    assert lowest_per_generation == sorted(lowest_per_generation, reverse=True)
    for candidate in result.candidates:
        assert_exact_units(candidate.removed_indices, parent.numbers, {LI: 2, S: 1})
        remaining = remove_atoms(parent, candidate.removed_indices)
        assert LineComposition.from_symbols(remaining.get_chemical_symbols()).x == pytest.approx(22 / 30)


def test_search_finds_additive_p2s5_optimum():
    """Energy = -(sum of distances of the kept atoms to a point): remove the 2 P and 5 S nearest to it."""
    parent = rocksalt_parent((2, 2, 2), n_phosphorus=8, seed=0)
    point = np.array([3.1, 4.7, 2.3])

    def distance_to_point(atoms):
        fractional = atoms.get_scaled_positions() - atoms.cell.scaled_positions(point)
        return np.linalg.norm((fractional - np.rint(fractional)) @ atoms.cell.array, axis=1)

    distances = distance_to_point(parent)
    nearest = [
        np.flatnonzero(parent.numbers == number)[np.argsort(distances[parent.numbers == number])[:count]]
        for number, count in ((P, 2), (S, 5))
    ]

    def energy(atoms):
        return -float(distance_to_point(atoms).sum())

    result = search_removals(parent, energy, np.random.default_rng(0), unit='P2S5')
    assert result.search_space_size == 28 * 201376  # C(8, 2) C(32, 5)
    np.testing.assert_array_equal(result.candidates[0].removed_indices, np.sort(np.concatenate(nearest)))


def test_same_seed_same_result():
    parent = rocksalt_parent((2, 2, 2), n_phosphorus=8, seed=2)
    settings = GeneticSettings(n_generations=5)
    first, second, other = (
        search_removals(parent, yukawa_energy, np.random.default_rng(seed), settings=settings) for seed in (7, 7, 8)
    )
    assert first.history == second.history
    for candidate_1, candidate_2 in zip(first.candidates, second.candidates, strict=True):
        np.testing.assert_array_equal(candidate_1.removed_indices, candidate_2.removed_indices)
        assert candidate_1.energy == candidate_2.energy
    assert first.history != other.history


def test_translation_equivalent_removals_are_merged():
    # Li3PS4 on the 8-atom rock-salt cell, doubled along a: atom i and i + 8 are translation images.
    parent = rocksalt_parent((1, 1, 1), n_phosphorus=1, seed=0).repeat((2, 1, 1))
    distances = parent.get_all_distances(mic=True)
    lithium = np.flatnonzero(parent.numbers == LI)
    removal = np.sort([lithium[0], lithium[1], np.flatnonzero(parent.numbers == S)[0]])
    fingerprint = removal_fingerprint(distances, parent.numbers, removal, resolution=0.01)
    assert removal_fingerprint(distances, parent.numbers, np.sort((removal + 8) % 16), resolution=0.01) == fingerprint
    li_pairs = list(itertools.combinations(lithium, 2))
    li_li_distances = [distances[a, b] for a, b in li_pairs]
    nearest_pair, farthest_pair = li_pairs[np.argmin(li_li_distances)], li_pairs[np.argmax(li_li_distances)]
    near, far = (np.sort([*pair, removal[-1]]) for pair in (nearest_pair, farthest_pair))
    assert removal_fingerprint(distances, parent.numbers, near, 0.01) != removal_fingerprint(
        distances, parent.numbers, far, 0.01
    )

    lowest_energy, _ = brute_force_li2s_minimum(parent)
    settings = GeneticSettings(population_size=8, n_generations=40, max_stagnant_generations=40)
    merged = search_removals(parent, yukawa_energy, np.random.default_rng(0), settings=settings)
    unmerged_settings = dataclasses.replace(settings, merge_symmetry_equivalent=False)
    unmerged = search_removals(parent, yukawa_energy, np.random.default_rng(0), settings=unmerged_settings)
    assert merged.n_merged_equivalent > 0 and unmerged.n_merged_equivalent == 0
    assert merged.candidates[0].energy == pytest.approx(lowest_energy, abs=1e-9)
    assert unmerged.candidates[0].energy == pytest.approx(lowest_energy, abs=1e-9)
    fingerprints = [removal_fingerprint(distances, parent.numbers, c.removed_indices, 0.01) for c in merged.candidates]
    assert len(set(fingerprints)) == len(fingerprints)


def test_nan_energy_and_small_parent_are_refused():
    parent = rocksalt_parent((1, 1, 1), n_phosphorus=1, seed=0)
    with pytest.raises(ValueError, match='NaN'):
        search_removals(parent, lambda atoms: float('nan'), np.random.default_rng(0))
    with pytest.raises(ValueError, match='larger supercell'):
        search_removals(parent, yukawa_energy, np.random.default_rng(0), unit='P2S5')


@pytest.mark.skipif(not GAMMA_LI3PS4_CIF.exists(), reason='reference CIF of gamma-Li3PS4 not available')
def test_gamma_li3ps4_minus_li2s_is_li4p2s7():
    from ase.io import read

    parent = read(GAMMA_LI3PS4_CIF)  # Li6P2S8
    lowest_energy, _ = brute_force_li2s_minimum(parent)
    result = search_removals(parent, yukawa_energy, np.random.default_rng(0))
    assert result.candidates[0].energy == pytest.approx(lowest_energy, abs=1e-9)
    remaining = remove_atoms(parent, result.candidates[0].removed_indices)
    child = LineComposition.from_symbols(remaining.get_chemical_symbols())
    assert (child.n_li, child.n_p, child.n_s) == (4, 2, 7)
    assert child.x == pytest.approx(2 / 3)
