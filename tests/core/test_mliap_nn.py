"""ML-IAP neural network on bispectrum descriptors: the per-atom descriptor gradients, the fit (torch), and the files
that LAMMPS's ``pair_style mliap model nn`` runs."""
import numpy as np
import pytest

from aiida_lps.potentials.evaluate import metrics_against_labels
from aiida_lps.potentials.mliap_nn import (atom_descriptors, fit_nn, merge_nn_hyperparameters, nn_pair_commands,
                                           read_nn_species)

pytest.importorskip('torch')

SETTINGS = {'twojmax': 6, 'hidden_layers': [8], 'max_iterations': 150}


@pytest.fixture(scope='module')
def morse_nn():
    """An NN fitted to 24 Morse-labelled Li4PS3 cells, and 8 held-out cells from the same distribution."""
    from conftest import morse_frames

    frames = morse_frames(count=32, seed=5)
    return fit_nn(frames[:24], SETTINGS), frames[24:]


def test_descriptor_gradients_are_minus_the_finite_differences(morse_labelled_frames):
    atoms = morse_labelled_frames(count=1, seed=4)[0]
    atoms.set_cell(atoms.cell.array + [[0.0, 0.0, 0.0], [0.7, 0.0, 0.3], [0.2, 0.5, 0.0]], scale_atoms=True)
    settings = merge_nn_hyperparameters({**SETTINGS, 'twojmax': 2})
    species = ['Li', 'P', 'S']
    rows = atom_descriptors([atoms], species, settings)[0]
    step = 1e-5
    for j, axis in ((3, 1), (5, 2)):
        shifted = []
        for sign in (1, -1):
            moved = atoms.copy()
            moved.positions[j, axis] += sign * step
            shifted.append(atom_descriptors([moved], species, settings)[0].values)
        derivative = (shifted[0] - shifted[1]) / (2 * step)  # dB_i/dr_j, (n_atoms, K)
        stored = np.zeros_like(derivative)
        for (i, jj), gradient in zip(rows.pairs, rows.gradients):
            if jj == j:
                stored[i] = gradient[axis]
        np.testing.assert_allclose(stored, -derivative, atol=1e-6)


def test_lammps_runs_the_fitted_files_with_small_errors(morse_nn):
    model, held_out = morse_nn
    model_text, descriptor = model.files()
    assert read_nn_species(descriptor) == ['Li', 'P', 'S']
    assert model_text.splitlines()[2] == 'NET 30 2 tanh 8 linear 1'
    metrics = metrics_against_labels(held_out, model.calculator())  # pair_style mliap in LAMMPS
    assert metrics['force_rmse_eV_per_A'] < 0.06  # measured 0.045; the Morse reference has 0.08 eV/A RMS force
    assert metrics['energy_rmse_meV_per_atom'] < 8.0  # measured 5.4


def test_settings_are_checked():
    with pytest.raises(ValueError, match="unknown NN hyperparameter 'layers'"):
        merge_nn_hyperparameters({'layers': [4]})
    with pytest.raises(ValueError, match='activation must be one of'):
        merge_nn_hyperparameters({'activation': 'relu'})
    with pytest.raises(ValueError, match='radii_A has no value'):
        merge_nn_hyperparameters({}, species=['Li', 'Na'])
    assert nn_pair_commands('m', 'd', ['Li', 'S']) == ['pair_style mliap model nn m descriptor sna d',
                                                      'pair_coeff * * Li S']
