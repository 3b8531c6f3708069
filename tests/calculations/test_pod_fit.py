"""``PodFitCalculation`` (``lps.pod_fit``): fitpod on the LAMMPS code recovers a known POD, and refuses bad inputs
before it runs."""
import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase.calculators.singlepoint import SinglePointCalculator

from aiida_lps.calculations.pod_fit import PodFitCalculation
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.evaluate import metrics_against_labels
from aiida_lps.potentials.pod import merge_pod_hyperparameters, pod_calculator, pod_parameter_file

#: A small basis (138 coefficients for Li, P, S) and almost no ridge, so that a POD can reproduce another exactly.
SMALL = {'twobody_number_radial_basis_functions': 3, 'threebody_number_radial_basis_functions': 2,
         'threebody_angular_degree': 2, 'regularisation': 1.0e-12}
N_SMALL = 138


def teacher_pod(seed: int):
    """A POD with random coefficients and DFT-like one-body energies (-190, -250, -300 eV for Li, P, S)."""
    rng = np.random.default_rng(seed)
    coefficients = 0.02 * rng.standard_normal(N_SMALL)
    per_element = N_SMALL // 3
    coefficients[::per_element] = [-190.0, -250.0, -300.0]
    text = f'model_coefficients: {N_SMALL} 0 0\n' + '\n'.join(repr(float(value)) for value in coefficients) + '\n'
    return pod_calculator(pod_parameter_file(['Li', 'P', 'S'], merge_pod_hyperparameters(SMALL)), text)


def labelled_by(calculator, frames):
    """Copies of ``frames`` holding ``calculator``'s energy (eV) and forces (eV/Angstrom)."""
    labelled = []
    for atoms in frames:
        copy = atoms.copy()
        copy.calc = calculator
        copy.calc = SinglePointCalculator(copy, energy=copy.get_potential_energy(), forces=copy.get_forces())
        labelled.append(copy)
    return labelled


@pytest.mark.requires_codes
@pytest.mark.parametrize('references', [None, {'Li': -150.0, 'P': -240.0, 'S': -310.0}])
def test_fit_recovers_a_pod_reference_with_absolute_energies(morse_labelled_frames, lps_code, references):
    """With or without per-element references (isolated-atom energies), subtracted and added back exactly."""
    frames = labelled_by(teacher_pod(0), morse_labelled_frames(count=30, seed=2))
    assert frames[0].get_potential_energy() / len(frames[0]) < -200  # the one-body terms carry the energy
    inputs = {'code': lps_code('lmp'), 'training_set': TrainingSetData.from_atoms(frames[:20]),
              'parameters': orm.Dict(SMALL)}
    if references:
        inputs['reference_energies'] = orm.Dict(references)
    results, node = run_get_node(PodFitCalculation, **inputs)
    assert node.is_finished_ok, node.exit_message
    potential = results['potential']
    assert potential.species == ['Li', 'P', 'S'] and SMALL.items() <= potential.hyperparameters.items()
    assert potential.lammps_files()['potential_coefficients.pod'].decode().startswith(f'model_coefficients: {N_SMALL} ')
    assert results['metrics']['force_rmse_eV_per_A'] < 1e-5  # on the training set, as the parser evaluated it
    # measured: 8e-9 eV/A and 2e-6 meV/atom; without the energy shift the ridge pulls the one-body terms to zero
    metrics = metrics_against_labels(frames[20:], potential.get_calculator())
    assert metrics['force_rmse_eV_per_A'] < 1e-5
    assert metrics['energy_rmse_meV_per_atom'] < 1e-3


@pytest.mark.parametrize(('inputs', 'message'), [
    ({'parameters': {'cutoff': 5.0}}, "unknown POD hyperparameter 'cutoff'"),
    ({'reference_energies': {'Li': -190.0}}, r"reference_energies has no energy for \['P', 'S'\]"),
])
def test_bad_inputs_are_refused_before_the_run(morse_labelled_frames, lps_code, inputs, message):
    builder = PodFitCalculation.get_builder()
    builder.code = lps_code('lmp')
    builder.training_set = TrainingSetData.from_atoms(morse_labelled_frames(count=2))
    for name in ('parameters', 'reference_energies'):
        if name in inputs:
            builder[name] = orm.Dict(inputs[name])
    with pytest.raises(ValueError, match=message):
        run_get_node(builder)
