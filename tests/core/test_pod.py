"""Linear POD fitted with LAMMPS's fitpod and run with pair_style pod in-process."""
import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator

from aiida_lps.potentials.evaluate import metrics_against_labels
from aiida_lps.potentials.pod import (
    fit_pod,
    merge_pod_hyperparameters,
    pod_calculator,
    pod_parameter_file,
    read_pod_parameters,
)

#: A small basis (138 coefficients for Li, P, S) and almost no ridge, so that a POD can reproduce another exactly.
SMALL = {'twobody_number_radial_basis_functions': 3, 'threebody_number_radial_basis_functions': 2,
         'threebody_angular_degree': 2, 'regularisation': 1.0e-12}
N_SMALL = 138


def _teacher(seed: int):
    """A POD with random coefficients and DFT-like one-body energies (-190, -250, -300 eV for Li, P, S)."""
    rng = np.random.default_rng(seed)
    coefficients = 0.02 * rng.standard_normal(N_SMALL)
    per_element = N_SMALL // 3
    coefficients[::per_element] = [-190.0, -250.0, -300.0]
    text = f'model_coefficients: {N_SMALL} 0 0\n' + '\n'.join(repr(float(value)) for value in coefficients) + '\n'
    return pod_calculator(pod_parameter_file(['Li', 'P', 'S'], merge_pod_hyperparameters(SMALL)), text)


def _labelled_by(calculator, frames):
    labelled = []
    for atoms in frames:
        copy = atoms.copy()
        copy.calc = calculator
        copy.calc = SinglePointCalculator(copy, energy=copy.get_potential_energy(), forces=copy.get_forces())
        labelled.append(copy)
    return labelled


@pytest.mark.parametrize('references', [None, {'Li': -150.0, 'P': -240.0, 'S': -310.0}])
def test_fit_recovers_a_pod_reference_with_absolute_energies(morse_labelled_frames, references):
    """With or without per-element references (isolated-atom energies), subtracted and added back exactly."""
    frames = _labelled_by(_teacher(0), morse_labelled_frames(count=30, seed=2))
    assert frames[0].get_potential_energy() / len(frames[0]) < -200  # the one-body terms carry the energy
    model = fit_pod(frames[:20], SMALL, reference_energies=references)
    assert model.coefficients.splitlines()[0] == f'model_coefficients: {N_SMALL} 0 0'
    # measured: 8e-9 eV/A and 2e-6 meV/atom; without the energy shift the ridge pulls the one-body terms to zero
    metrics = metrics_against_labels(frames[20:], model.calculator())
    assert metrics['force_rmse_eV_per_A'] < 1e-5
    assert metrics['energy_rmse_meV_per_atom'] < 1e-3


def test_fit_of_a_morse_reference_generalises(morse_labelled_frames):
    frames = morse_labelled_frames(count=30, seed=1)
    model = fit_pod(frames[:20])
    assert model.species == ['Li', 'P', 'S']
    assert read_pod_parameters(model.parameters)['species'] == ['Li', 'P', 'S']
    force_scale = np.sqrt(np.mean(np.concatenate([atoms.get_forces() for atoms in frames[20:]]) ** 2))
    metrics = metrics_against_labels(frames[20:], model.calculator())
    assert metrics['force_rmse_eV_per_A'] < 0.5 * force_scale  # measured 0.025 of 0.08 eV/A


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
        fit_pod([])
    with pytest.raises(ValueError, match='no "species" line'):
        read_pod_parameters('rcut 5.0\n')
    with pytest.raises(ValueError, match='onebody 1'):
        read_pod_parameters('species Li S\nonebody 0\n')


def test_fitpod_errors_come_back_with_lammps_message(morse_labelled_frames):
    with pytest.raises(RuntimeError, match='fitpod failed on 2 configurations: ERROR: three-body angular degree'):
        fit_pod(morse_labelled_frames(count=2), {'threebody_angular_degree': 20})  # LAMMPS allows at most 12


def test_reference_energies_must_cover_every_element(morse_labelled_frames):
    with pytest.raises(ValueError, match=r"reference_energies has no energy for \['P', 'S'\]"):
        fit_pod(morse_labelled_frames(count=2), reference_energies={'Li': -190.0})
