"""Every fitter of ``lps.potential_fitters`` but the GAP's (SNAP, POD, ML-IAP NN): the fit through the fitter's
process, its data node in the evaluation calcfunctions, LammpsMdCalculation and ArrheniusWorkChain. The GAP's fitter,
``GapFitBaseWorkChain``, has its own tests (test_gap_fit.py, tests/workflows/test_gap_fit_base.py)."""
import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase.build import bulk

from aiida_lps.calculations.functions.error_metrics import compute_error_metrics
from aiida_lps.calculations.functions.evaluate_potential import evaluate_potential
from aiida_lps.calculations.fitters import potential_fitters
from aiida_lps.calculations.functions.predict_with_potential import predict_with_potential
from aiida_lps.calculations.lammps_md import LammpsMdCalculation
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.workflows.conductivity import ArrheniusWorkChain


#: Per kind: fit settings and the held-out errors they reach on the Morse cells (force eV/A, energy meV/atom).
SETTINGS = {
    'snap': ({'twojmax': 6, 'ridge': 1.0e-8}, 0.03, 3.0),  # measured 0.010 eV/A, 0.7 meV/atom
    'pod': ({'regularisation': 1.0e-8}, 0.02, 1.0),  # measured 0.005 eV/A, 0.24 meV/atom
    'nn': ({'twojmax': 6, 'hidden_layers': [8], 'max_iterations': 150}, 0.06, 8.0),  # measured 0.045 eV/A, 5.4
}


@pytest.fixture(params=sorted(set(potential_fitters()) - {'gap'}))
def kind(request):
    if request.param == 'nn':
        pytest.importorskip('torch')
    return request.param


@pytest.fixture
def fitted(aiida_profile, morse_labelled_frames, kind, lps_code):
    """``(fit node, outputs, held-out TrainingSetData)`` of a potential fitted to 24 Morse-labelled cells by its
    fitter's process (on its code, if it runs one)."""
    frames = morse_labelled_frames(count=32, seed=5)
    training_set = TrainingSetData.from_atoms(frames[:24]).store()
    held_out = TrainingSetData.from_atoms(frames[24:]).store()
    fitter = potential_fitters()[kind]
    code = lps_code(fitter.runs_on) if fitter.runs_on else None
    outputs, node = run_get_node(fitter.process, **fitter.inputs(training_set, orm.Dict(SETTINGS[kind][0]), code=code))
    return node, outputs, held_out


def test_fit_returns_the_potential_with_its_training_errors(fitted, kind):
    node, outputs, _ = fitted
    assert node.is_finished_ok
    potential = outputs['potential']
    assert isinstance(potential, potential_fitters()[kind].data_type)
    assert potential.species == ['Li', 'P', 'S']
    assert SETTINGS[kind][0].items() <= potential.hyperparameters.items()
    assert potential.metrics == outputs['metrics'].get_dict()
    frames = node.inputs.training_set.to_atoms()
    errors = []
    for atoms in frames:  # the metrics are the stored files' errors, recomputed here with a fresh calculator
        copy = atoms.copy()
        copy.calc = potential.get_calculator()
        errors.append(copy.get_forces() - atoms.get_forces())
    assert potential.metrics['force_rmse_eV_per_A'] == pytest.approx(np.sqrt(np.mean(np.concatenate(errors) ** 2)))
    assert set(potential.metrics['force_rmse_by_element']) == {'Li', 'P', 'S'}


def test_evaluation_calcfunctions_take_the_potential(fitted, kind):
    _, outputs, held_out = fitted
    evaluation = evaluate_potential(outputs['potential'], held_out)
    predicted = predict_with_potential(outputs['potential'], held_out)
    metrics = compute_error_metrics(held_out, predicted)['metrics'].get_dict()
    assert evaluation['metrics']['force_rmse_eV_per_A'] == pytest.approx(metrics['force_rmse_eV_per_A'])
    _, force_rmse, energy_rmse = SETTINGS[kind]
    assert metrics['force_rmse_eV_per_A'] < force_rmse  # the Morse reference has 0.08 eV/A RMS force
    assert metrics['energy_rmse_meV_per_atom'] < energy_rmse


def test_identical_files_are_deduplicated(fitted):
    _, outputs, _ = fitted
    potential = outputs['potential']
    data_type = type(potential)
    texts = [content.decode() for content in potential.lammps_files().values()]
    again = data_type.get_or_create(*texts)
    assert again.is_stored  # the fit is deterministic: an earlier test may have stored the same files first
    assert again.md5 == potential.md5
    assert not data_type.get_or_create(texts[0] + '\n', texts[1]).is_stored


def test_elements_out_of_type_order_are_refused(fitted, kind):
    _, outputs, _ = fitted
    potential = outputs['potential']
    if kind == 'snap':
        lines = potential.get_snapcoeff().splitlines()
        block = 1 + 31
        swapped = '\n'.join(lines[:2] + lines[2 + block:2 + 2 * block] + lines[2:2 + block] + lines[2 + 2 * block:])
        texts = swapped, potential.get_snapparam()
    else:
        first, second = (content.decode() for content in potential.lammps_files().values())
        texts = first.replace('species Li P S', 'species P Li S'), second.replace('elems Li P S', 'elems P Li S')
    with pytest.raises(ValueError, match='sorted by atomic number'):
        type(potential)(*texts)


def _md_builder(code, potential, structure):
    builder = LammpsMdCalculation.get_builder()
    builder.code = code
    builder.structure = structure
    builder.potential = potential
    builder.parameters = orm.Dict({
        'timestep_fs': 1.0, 'initial_temperature_K': 300, 'seed': 11, 'thermo_every': 10, 'dump_every': 10,
        'stages': [{'ensemble': 'nvt', 'steps': 50, 'temperature_K': 300}],
    })
    return builder


@pytest.mark.requires_codes
def test_lammps_md_runs_with_the_potential(fitted, kind, lps_code):
    _, outputs, _ = fitted
    atoms = bulk('Li', 'fcc', a=4.6, cubic=True).repeat((2, 2, 1))
    atoms.set_chemical_symbols((['Li'] * 4 + ['P'] + ['S'] * 3) * 2)
    results, node = run_get_node(_md_builder(lps_code('lmp'), outputs['potential'], orm.StructureData(ase=atoms)))
    assert node.is_finished_ok, node.exit_message
    script = node.base.repository.get_object_content('md.in')
    assert all(line in script for line in outputs['potential'].pair_commands(['Li', 'P', 'S']))
    trajectory = results['trajectory']
    assert trajectory.numsteps == 6  # steps 0, 10, ..., 50
    # the MD's potential energy of the last frame is that of the in-process pair style
    last = trajectory.get_step_structure(5).get_ase()
    last.calc = outputs['potential'].get_calculator()
    assert last.get_potential_energy() == pytest.approx(results['thermo'].get_array('PotEng')[-1], abs=1e-4)


def test_species_outside_the_potential_are_refused(fitted, lps_code):
    _, outputs, _ = fitted
    atoms = bulk('Li', 'fcc', a=4.6, cubic=True).repeat((2, 1, 1))
    atoms.set_chemical_symbols(['Li'] * 4 + ['P'] + ['S'] * 2 + ['Na'])
    builder = _md_builder(lps_code('lmp'), outputs['potential'], orm.StructureData(ase=atoms))
    kind = outputs['potential'].potential_kind
    with pytest.raises(ValueError, match=rf"the structure contains \['Na'\], which the {kind} potential"):
        run_get_node(builder)


@pytest.mark.requires_codes
def test_arrhenius_workchain_runs_its_md_with_the_potential(fitted, kind, lps_code):
    _, outputs, _ = fitted
    atoms = bulk('Li', 'fcc', a=4.6, cubic=True).repeat((2, 1, 1))
    atoms.set_chemical_symbols(['Li'] * 4 + ['P'] + ['S'] * 3)
    builder = ArrheniusWorkChain.get_builder_from_protocol(
        lps_code('lmp'), orm.StructureData(ase=atoms), outputs['potential'], [1500.0, 2000.0, 2500.0],
        protocol='fast', overrides={'equilibration_ps': 0.06, 'thermostat_damping_fs': 50.0, 'production_ps': 0.4,
                                    'dump_interval_fs': 20.0, 'min_width_A': 0.0, 'min_atoms': 8})
    results, node = run_get_node(builder)
    md_runs = [child for child in node.called_descendants  # directly or through LammpsMdBaseWorkChain
               if child.process_type == 'aiida.calculations:lps.lammps_md']
    assert len(md_runs) == 3
    for child in md_runs:
        assert child.is_finished_ok, child.exit_message
        assert child.inputs.potential.uuid == outputs['potential'].uuid
        script = child.base.repository.get_object_content('md.in')
        assert all(line in script for line in outputs['potential'].pair_commands(['Li', 'P', 'S']))
    assert sorted(results['conductivities']) == ['T1500K', 'T2000K', 'T2500K']
