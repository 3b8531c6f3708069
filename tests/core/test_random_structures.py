"""Tests of the AIRSS-like random structures: composition, volume, separations, errors and FPS selection."""

from collections import Counter
from itertools import combinations

import numpy as np
import pytest

from aiida_lps.analysis.soap import SoapParameters, farthest_point_sampling, global_soap, soap_distance
from aiida_lps.sampling.random_structures import (
    THESIS_BOND_LENGTH_RANGES,
    minimum_separation,
    most_dissimilar_structures,
    random_structure,
    random_structures,
)

SMALL_SOAP = SoapParameters(r_cut=4.0, n_max=3, l_max=2, sigma=0.5)


def test_minimum_separation_is_sum_of_radii():
    bond_lengths = {'Li': 2.4, 'P': 1.8, 'S': 2.0}
    assert minimum_separation(bond_lengths, 'Li', 'S') == pytest.approx(2.2)
    assert minimum_separation(bond_lengths, 'Li', 'Li') == pytest.approx(2.4)
    assert minimum_separation(bond_lengths, 'P', 'S') == pytest.approx(1.9)


def test_structures_honour_composition_volume_and_separations():
    rng = np.random.default_rng(42)
    for n_units in (1, 2, 3):
        atoms = random_structure('Li3PS4', n_units, rng)
        assert Counter(atoms.get_chemical_symbols()) == {'Li': 3 * n_units, 'P': n_units, 'S': 4 * n_units}
        assert atoms.get_volume() == pytest.approx(20.0 * 8 * n_units)
        assert atoms.pbc.all()
        bond_lengths = atoms.info['bond_lengths']
        for symbol, (low, high) in THESIS_BOND_LENGTH_RANGES.items():
            assert low <= bond_lengths[symbol] <= high
        distances = atoms.get_all_distances(mic=True)
        symbols = atoms.get_chemical_symbols()
        for i, j in combinations(range(len(atoms)), 2):
            assert distances[i, j] >= minimum_separation(bond_lengths, symbols[i], symbols[j]) - 1e-9
        # no atom may come closer than b_X to its own periodic image
        heights = atoms.cell.volume / np.linalg.norm(np.cross(atoms.cell[[1, 2, 0]], atoms.cell[[2, 0, 1]]), axis=1)
        assert heights.min() >= max(bond_lengths.values())


def test_generation_is_reproducible_and_uses_formula_unit_choices():
    first = random_structures('Li3PS4', 4, np.random.default_rng(3), formula_unit_choices=(1, 2))
    second = random_structures('Li3PS4', 4, np.random.default_rng(3), formula_unit_choices=(1, 2))
    assert all(np.allclose(a.positions, b.positions) and np.allclose(a.cell, b.cell) for a, b in zip(first, second))
    assert {len(atoms) for atoms in first} <= {8, 16}


def test_impossible_packing_raises_with_advice():
    with pytest.raises(RuntimeError, match='increase volume_per_atom'):
        random_structure('Li3PS4', 2, np.random.default_rng(0), volume_per_atom=3.0, max_attempts_per_atom=20,
                         max_restarts=3)
    with pytest.raises(ValueError, match=r"no bond-length range for \['O'\]"):
        random_structure('Li3PO4', 1, np.random.default_rng(0))


def test_most_dissimilar_selection():
    rng = np.random.default_rng(11)
    frames = random_structures('Li3PS4', 5, rng, formula_unit_choices=(1,))
    descriptors = global_soap(frames, SMALL_SOAP)
    expected = farthest_point_sampling(soap_distance(descriptors, descriptors), 3)
    assert most_dissimilar_structures(frames, 3, SMALL_SOAP).tolist() == expected.tolist()
    # an exact duplicate of the first pick is never chosen before a distinct structure
    with_duplicate = [frames[0], frames[0].copy(), frames[1]]
    assert most_dissimilar_structures(with_duplicate, 2, SMALL_SOAP).tolist() == [0, 2]
