"""TrainingSetData: round trips through arrays and extxyz, queryable attributes, refusal of unlabelled input."""
import numpy as np
import pytest
from ase import Atoms

from aiida_lps.data.training_set import TrainingSetData


def test_round_trip_keeps_labels_and_tags(aiida_profile, morse_labelled_frames, tmp_path):
    frames = morse_labelled_frames(count=3)
    node = TrainingSetData.from_atoms(frames).store()
    assert node.num_structures == 3 and len(node) == 3
    assert node.species == ['Li', 'P', 'S']
    assert node.base.attributes.get('num_atoms') == 24
    back = node.to_atoms()
    for original, restored in zip(frames, back):
        np.testing.assert_allclose(restored.positions, original.positions)
        np.testing.assert_allclose(restored.get_forces(), original.get_forces())
        assert restored.get_potential_energy() == pytest.approx(original.get_potential_energy())
    assert [tags['index'] for tags in node.get_tags()] == [0, 1, 2]

    path = tmp_path / 'set.xyz'
    node.write_extxyz(path)
    again = TrainingSetData.from_extxyz(path)
    np.testing.assert_allclose(again.get_energies(), node.get_energies())
    np.testing.assert_allclose(again.get_array('forces'), node.get_array('forces'), atol=1e-7)  # extxyz: 8 decimals


def test_stress_is_kept_where_present(aiida_profile, morse_labelled_frames):
    frames = morse_labelled_frames(count=2)
    stress = frames[0].get_stress()
    frames[1].calc.results.pop('stress', None)
    frames[1].calc.results['energy'] = frames[1].get_potential_energy()
    node = TrainingSetData.from_atoms(frames)
    restored = node.to_atoms()
    np.testing.assert_allclose(restored[0].calc.results['stress'], stress)
    assert 'stress' not in restored[1].calc.results


def test_query_by_species(aiida_profile, morse_labelled_frames):
    from aiida.orm import QueryBuilder

    node = TrainingSetData.from_atoms(morse_labelled_frames(count=2)).store()
    found = QueryBuilder().append(TrainingSetData, filters={'attributes.species': {'contains': ['P']}}).all(flat=True)
    assert node.uuid in {n.uuid for n in found}


def test_unlabelled_and_empty_input_refused():
    with pytest.raises(ValueError, match='no energy and forces'):
        TrainingSetData.from_atoms([Atoms('LiS', positions=[[0, 0, 0], [2.4, 0, 0]], cell=[5, 5, 5], pbc=True)])
    with pytest.raises(ValueError, match='at least one'):
        TrainingSetData.from_atoms([])
