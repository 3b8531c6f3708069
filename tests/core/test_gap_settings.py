"""GAP settings: hyperparameter merging, 2-body species pairs, command lines and the force regulariser."""
import numpy as np
import pytest
from ase.build import bulk

from aiida_lps.potentials.gap import (
    DEFAULT_HYPERPARAMETERS,
    estimate_fit_memory_bytes,
    force_dependent_sigma,
    gap_fit_arguments,
    merge_hyperparameters,
    two_body_pairs,
)


def test_defaults_are_thesis_table_1():
    two_body, soap = DEFAULT_HYPERPARAMETERS['two_body'], DEFAULT_HYPERPARAMETERS['soap']
    assert (two_body['cutoff'], two_body['n_sparse'], two_body['sparse_method']) == (5.5, 20, 'uniform')
    assert (soap['cutoff'], soap['l_max'], soap['n_max'], soap['atom_sigma'], soap['zeta']) == (6.0, 3, 9, 0.7, 2)
    assert (soap['n_sparse'], soap['sparse_method']) == (2000, 'cur_points')
    assert DEFAULT_HYPERPARAMETERS['default_sigma'][:2] == [0.01, 0.1]


def test_merge_is_one_level_deep_and_refuses_unknown_keys():
    merged = merge_hyperparameters({'soap': {'n_sparse': 50}})
    assert merged['soap']['n_sparse'] == 50 and merged['soap']['cutoff'] == 6.0
    with pytest.raises(ValueError, match="unknown GAP hyperparameter 'soap_cut'"):
        merge_hyperparameters({'soap_cut': 5})


def test_two_body_pairs_skip_pairs_that_never_occur():
    atoms = bulk('SLi2', 'fluorite', a=5.71, cubic=True)
    atoms.rattle(0.05, seed=1)
    assert two_body_pairs([atoms], cutoff=3.0) == [(3, 3), (3, 16)]  # S-S is 4.04 A apart
    assert (16, 16) in two_body_pairs([atoms], cutoff=4.5)
    arguments = gap_fit_arguments(merge_hyperparameters(), [3, 16], 'a.xyz', 'g.xml', pairs=[(3, 16)])
    gap = next(argument for argument in arguments if argument.startswith('gap='))
    assert gap.count('distance_2b') == 1 and 'Z1=3 Z2=16' in gap


def test_soap_turbo_gets_one_descriptor_per_species():
    hyperparameters = merge_hyperparameters({'soap': None, 'soap_turbo': {'n_sparse': 100}})
    gap = next(a for a in gap_fit_arguments(hyperparameters, [3, 15, 16], 'a.xyz', 'g.xml') if a.startswith('gap='))
    assert gap.count('soap_turbo') == 3 and 'central_index=3' in gap and 'species_Z={{3 15 16}}' in gap


def test_force_dependent_sigma_matches_thesis_eq_16():
    forces = np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]])  # |F| = 0 and 5 eV/A, mean 2.5
    sigma = force_dependent_sigma(forces)
    expected = 0.01 + (0.1 / 0.01) * np.log10(1 + 0.01 * (np.array([0.0, 5.0]) + 2.5))
    np.testing.assert_allclose(sigma, expected)
    assert sigma[1] > sigma[0] > 0.01


def test_memory_estimate_grows_with_sparse_points_and_data():
    small = estimate_fit_memory_bytes(merge_hyperparameters(), 10, 160, 3)
    assert estimate_fit_memory_bytes(merge_hyperparameters(), 20, 320, 3) == pytest.approx(2 * small, rel=0.01)
    assert small == 8 * 3 * (20 * 6 + 2000 * 3) * (10 + 3 * 160)


def test_descriptors_are_explicit_per_species():
    arguments = gap_fit_arguments(merge_hyperparameters(), [3, 15, 16], 'a.xyz', 'g.xml')
    gap = next(argument for argument in arguments if argument.startswith('gap='))
    assert gap.count('distance_2b') == 6 and gap.count('soap ') == 3
    assert 'species_Z={{3 15 16}} Z=15 add_species=F' in gap
