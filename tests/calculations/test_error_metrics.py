"""compute_error_metrics: RMSEs recomputed independently, resolved by element and by motif, with parity data."""
import numpy as np
import pytest
from ase.calculators.morse import MorsePotential

from aiida_lps.calculations.functions.error_metrics import compute_error_metrics
from aiida_lps.calculations.functions.predict_with_potential import predict_with_potential
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.structures.crystals import get_crystal


def _reference_frames(count=2):
    frames = []
    for seed in range(count):
        atoms = get_crystal('gamma-Li3PS4')
        atoms.rattle(0.05, seed=seed)
        atoms.calc = MorsePotential(epsilon=0.3, r0=2.6, rho0=5.0)  # a reference model, not DFT
        atoms.get_potential_energy()
        frames.append(atoms)
    return frames


def test_metrics_match_an_independent_computation(aiida_profile, tiny_gap_xml):
    reference = TrainingSetData.from_atoms(_reference_frames()).store()
    predicted = predict_with_potential(GapPotentialData(tiny_gap_xml).store(), reference)
    outputs = compute_error_metrics(reference, predicted)
    metrics = outputs['metrics'].get_dict()

    difference = predicted.get_array('forces') - reference.get_array('forces')
    assert metrics['force_rmse_eV_per_A'] == pytest.approx(np.sqrt(np.mean(difference**2)))
    per_atom = (predicted.get_energies() - reference.get_energies()) / 16
    assert metrics['energy_rmse_meV_per_atom'] == pytest.approx(1000 * np.sqrt(np.mean(per_atom**2)))
    assert metrics['energy_rmse_offset_removed_meV_per_atom'] == pytest.approx(1000 * np.std(per_atom))
    assert set(metrics['force_rmse_by_element']) == {'Li', 'P', 'S'}
    assert set(metrics['force_rmse_by_motif']) == {'Li', 'P in PS4^3-', 'S in PS4^3-'}
    phosphorus = np.tile(np.array(get_crystal('gamma-Li3PS4').get_chemical_symbols()) == 'P', 2)
    assert metrics['force_rmse_by_motif']['P in PS4^3-'] == pytest.approx(np.sqrt(np.mean(difference[phosphorus] ** 2)))
    parity = outputs['parity']
    np.testing.assert_allclose(parity.get_array('force_predicted'), predicted.get_array('forces').ravel())
    assert parity.get_array('energy_reference').shape == (2,)


def test_mismatched_sets_are_refused(aiida_profile):
    first = TrainingSetData.from_atoms(_reference_frames(2)).store()
    second = TrainingSetData.from_atoms(_reference_frames(1)).store()
    with pytest.raises(ValueError, match='same configurations in the same order'):
        compute_error_metrics(first, second)
