"""Calcfunctions around a GAP: predictions, relaxation, cell scaling and perturbations."""
import numpy as np
import pytest
from aiida import orm
from ase.build import bulk

from aiida_lps.calculations.functions.perturbed_structures import perturbed_structures
from aiida_lps.calculations.functions.predict_with_potential import predict_with_potential
from aiida_lps.calculations.functions.relax_with_potential import relax_with_potential
from aiida_lps.calculations.functions.scale_structure import scale_structure
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.data.training_set import TrainingSetData


def test_predictions_equal_quippy_and_keep_tags(aiida_profile, tiny_gap_xml, morse_labelled_frames):
    potential = GapPotentialData(tiny_gap_xml).store()
    frames = morse_labelled_frames(count=3, seed=5)
    predicted = predict_with_potential(potential, TrainingSetData.from_atoms(frames))
    calculator = potential.get_calculator()
    for atoms, labelled in zip(frames, predicted.to_atoms()):
        copy = atoms.copy()
        copy.calc = calculator
        assert labelled.get_potential_energy() == pytest.approx(copy.get_potential_energy(), abs=1e-10)
        np.testing.assert_allclose(labelled.get_forces(), copy.get_forces(), atol=1e-10)
    assert [tags['index'] for tags in predicted.get_tags()] == [0, 1, 2]


def test_prediction_on_uncovered_species_is_refused(aiida_profile, tiny_gap_xml, morse_labelled_frames):
    frames = morse_labelled_frames(count=1)
    frames[0].symbols[0] = 'Na'
    with pytest.raises(ValueError, match=r"also has \['Na'\]"):
        predict_with_potential(GapPotentialData(tiny_gap_xml).store(), TrainingSetData.from_atoms(frames))


def test_relaxation_lowers_energy_and_meets_fmax(aiida_profile, tiny_gap_xml, morse_labelled_frames):
    potential = GapPotentialData(tiny_gap_xml).store()
    start = morse_labelled_frames(count=1, seed=9)[0]
    start.calc = potential.get_calculator()
    initial_energy = start.get_potential_energy()
    outcome = relax_with_potential(potential, orm.StructureData(ase=start), orm.Float(0.05), orm.Int(300))
    result = outcome['result'].get_dict()
    assert result['converged'] and result['max_force'] < 0.05
    assert result['energy'] < initial_energy
    assert outcome['structure'].get_ase().cell == pytest.approx(start.cell)


def test_scaling_along_one_axis_and_isotropically(aiida_profile):
    structure = orm.StructureData(ase=bulk('SLi2', 'fluorite', a=5.71, cubic=True))
    volume = structure.get_cell_volume()
    assert scale_structure(structure, orm.Float(0.99)).get_cell_volume() == pytest.approx(volume * 0.99**3)
    along_z = scale_structure(structure, orm.Float(0.9), orm.Int(2))
    assert np.array(along_z.cell)[2, 2] == pytest.approx(0.9 * 5.71)
    assert np.array(along_z.cell)[0, 0] == pytest.approx(5.71)


def test_perturbations_are_reproducible(aiida_profile):
    structure = orm.StructureData(ase=bulk('SLi2', 'fluorite', a=5.71, cubic=True))
    args = (structure, orm.Int(2), orm.Float(0.1), orm.Float(0.02))
    first, again, other = (perturbed_structures(*args, orm.Int(seed)) for seed in (1, 1, 2))
    np.testing.assert_allclose(first['structure_1'].get_ase().positions, again['structure_1'].get_ase().positions)
    assert not np.allclose(first['structure_1'].get_ase().positions, other['structure_1'].get_ase().positions)
