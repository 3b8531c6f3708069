"""Similarity calcfunctions: kPCA maps, chemiscope export, dissimilarity, random-structure candidates (provenance,
reproducibility and agreement with the core functions)."""
import gzip
import json

import numpy as np
import pytest
from aiida import orm

from aiida_lps.analysis.soap import SoapParameters, global_soap, kernel_pca_map
from aiida_lps.calculations.functions.atomic_soap_kpca import atomic_soap_kpca
from aiida_lps.calculations.functions.chemiscope_similarity_map import chemiscope_similarity_map
from aiida_lps.calculations.functions.global_soap_kpca import global_soap_kpca
from aiida_lps.calculations.functions.random_structure_candidates import random_structure_candidates
from aiida_lps.calculations.functions.soap_dissimilarity import soap_dissimilarity
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.structures.crystals import get_crystal

SMALL_SOAP = {'species': ['Li', 'P', 'S'], 'r_cut': 4.0, 'n_max': 3, 'l_max': 2, 'sigma': 0.5}


@pytest.fixture
def crystals():
    return {name.replace('-', '_'): orm.StructureData(ase=get_crystal(name))
            for name in ('alpha-Li3PS4', 'beta-Li3PS4', 'gamma-Li3PS4', 'Li7P3S11')}


def test_maps_and_chemiscope_file(aiida_profile, crystals):
    soap, zeta, seed = orm.Dict(SMALL_SOAP), orm.Int(2), orm.Int(0)
    global_map = global_soap_kpca(soap, zeta, seed, **crystals)
    labels = sorted(crystals)
    assert global_map.base.attributes.get('labels') == labels
    descriptors = global_soap([crystals[label].get_ase() for label in labels], SoapParameters(**SMALL_SOAP))
    expected = kernel_pca_map(descriptors)
    assert np.allclose(np.abs(global_map.get_array('coordinates')), np.abs(expected))
    atomic_map = atomic_soap_kpca(soap, zeta, seed, orm.List(['P']), **crystals)
    n_phosphorus = [crystals[label].get_ase().get_chemical_symbols().count('P') for label in labels]
    assert atomic_map.get_array('coordinates').shape == (sum(n_phosphorus), 2)
    assert np.bincount(atomic_map.get_array('structure_index')).tolist() == n_phosphorus
    viewer = chemiscope_similarity_map(global_map, atomic_map, **crystals)
    data = json.loads(gzip.decompress(viewer.get_content(mode='rb')))
    assert len(data['structures']) == 4 and len(data['environments']) == sum(n_phosphorus)
    assert data['properties']['kpca_1']['values'] == pytest.approx(global_map.get_array('coordinates')[:, 0].tolist())
    with pytest.raises(ValueError, match='other structures'):
        chemiscope_similarity_map(global_map, **{k: v for k, v in crystals.items() if k != 'Li7P3S11'})


def test_dissimilarity_is_zero_for_training_structures(aiida_profile, crystals):
    from ase.calculators.singlepoint import SinglePointCalculator

    labelled = crystals['gamma_Li3PS4'].get_ase()
    labelled.calc = SinglePointCalculator(labelled, energy=0.0, forces=np.zeros((len(labelled), 3)))
    training = TrainingSetData.from_atoms([labelled]).store()
    result = soap_dissimilarity(training, orm.Dict(SMALL_SOAP), orm.Int(2), orm.List(['P', 'S']),
                                gamma=crystals['gamma_Li3PS4'], beta=crystals['beta_Li3PS4'])
    assert np.allclose(result.get_array('dissimilarity_gamma'), 0.0, atol=1e-6)
    assert result.get_array('dissimilarity_beta').min() > 0.01
    assert len(result.get_array('atom_index_beta')) == 20  # 4 P + 16 S of beta-Li3PS4


def test_random_candidates_are_seeded(aiida_profile):
    inputs = dict(formula=orm.Str('Li3PS4'), n_generated=orm.Int(12), n_selected=orm.Int(3), seed=orm.Int(5),
                  formula_unit_choices=orm.List([1]), volume_per_atom_A3=orm.Float(20.0),
                  soap_parameters=orm.Dict(SMALL_SOAP))
    first, second = random_structure_candidates(**inputs), random_structure_candidates(**inputs)
    assert set(first) == {'candidate_0', 'candidate_1', 'candidate_2', 'selection'}
    assert first['selection']['generated_index'] == second['selection']['generated_index']
    assert len(set(first['selection']['generated_index'])) == 3
    for key in ('candidate_0', 'candidate_1', 'candidate_2'):
        atoms = first[key].get_ase()
        assert atoms.get_chemical_formula() == 'Li3PS4'
        assert np.allclose(atoms.positions, second[key].get_ase().positions)
        assert atoms.get_volume() == pytest.approx(8 * 20.0)
