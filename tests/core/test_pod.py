"""The pure POD core: fitpod's input files with the shifted energies, the shift added back to the coefficients, and
pair_style pod in-process. The fit itself runs in ``PodFitCalculation`` (tests/calculations/test_pod_fit.py)."""
import numpy as np
import pytest

from aiida_lps.potentials.pod import (
    FITPOD_SCRIPT,
    fitpod_input_files,
    merge_pod_hyperparameters,
    pod_from_fitpod,
    read_pod_parameters,
)

#: Coefficients of the default POD for Li, P and S (DEFAULT_POD_HYPERPARAMETERS).
N_DEFAULT = 507


@pytest.mark.parametrize('references', [None, {'Li': -150.0, 'P': -240.0, 'S': -310.0}])
def test_fitpod_sees_shifted_energies_and_the_shift_comes_back(morse_labelled_frames, references):
    """fitpod fits E - sum over atoms of (reference + e0); a fit that found only zeros gives back exactly the
    subtracted baseline as the POD's energy."""
    frames = morse_labelled_frames(count=4, seed=2)
    files = fitpod_input_files(frames, reference_energies=references)
    assert files[FITPOD_SCRIPT] == 'fitpod pod.txt data.txt\n'
    assert 'path_to_training_data_set "training"' in files['data.txt']  # relative: the run's own folder
    shifted = [float(files[f'training/config_{index:05d}.xyz'].split('energy=')[1].split()[0])
               for index in range(len(frames))]
    assert np.mean([energy / len(atoms) for energy, atoms in zip(shifted, frames)]) == pytest.approx(0.0, abs=1e-12)
    zeros = f'model_coefficients: {N_DEFAULT} 0 0\n' + '0.0\n' * N_DEFAULT
    model = pod_from_fitpod(zeros, frames, reference_energies=references)
    assert model.species == ['Li', 'P', 'S'] and model.parameters == files['pod.txt']
    for atoms, energy in zip(frames, shifted):
        copy = atoms.copy()
        copy.calc = model.calculator()
        assert copy.get_potential_energy() == pytest.approx(atoms.get_potential_energy() - energy, abs=1e-8)
    with pytest.raises(ValueError, match='unexpected fitpod coefficient file'):
        pod_from_fitpod(zeros.replace(f'{N_DEFAULT} 0 0', '7 0 0'), frames)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="unknown POD hyperparameter 'cutoff'"):
        merge_pod_hyperparameters({'cutoff': 5.0})
    with pytest.raises(ValueError, match='threebody_angular_degree must be a non-negative integer'):
        merge_pod_hyperparameters({'threebody_angular_degree': 2.5})
    with pytest.raises(ValueError, match='rin < rcut'):
        merge_pod_hyperparameters({'rin': 5.0, 'rcut': 4.0})
    with pytest.raises(ValueError, match='must not exceed threebody_angular_degree'):
        merge_pod_hyperparameters({'fourbody_number_radial_basis_functions': 2, 'fourbody_angular_degree': 5})
    with pytest.raises(ValueError, match='empty'):
        fitpod_input_files([])
    with pytest.raises(ValueError, match='no "species" line'):
        read_pod_parameters('rcut 5.0\n')
    with pytest.raises(ValueError, match='onebody 1'):
        read_pod_parameters('species Li S\nonebody 0\n')


def test_reference_energies_must_cover_every_element(morse_labelled_frames):
    with pytest.raises(ValueError, match=r"reference_energies has no energy for \['P', 'S'\]"):
        fitpod_input_files(morse_labelled_frames(count=2), reference_energies={'Li': -190.0})
