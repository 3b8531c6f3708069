"""GapFitCalculation with the real gap_fit: a tiny fit, its parsed metrics, and refused inputs."""
import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase import Atoms

from aiida_lps.calculations.gap_fit import GapFitCalculation
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.gap import GAP_PRESETS

TINY = GAP_PRESETS['fast']



def _builder(code, training_set, **extra):
    builder = GapFitCalculation.get_builder()
    builder.code = code
    builder.training_set = training_set
    builder.parameters = orm.Dict(TINY)
    for key, value in extra.items():
        builder[key] = value
    return builder


@pytest.mark.requires_codes
def test_gap_fit_fits_and_reports_training_errors(aiida_profile, lps_code, morse_labelled_frames):
    frames = morse_labelled_frames(count=16)
    training_set = TrainingSetData.from_atoms(frames)
    results, node = run_get_node(_builder(lps_code('gap_fit'), training_set))
    assert node.is_finished_ok, node.exit_message
    potential = results['potential']
    assert potential.species == ['Li', 'P', 'S']
    assert potential.hyperparameters['soap']['n_max'] == TINY['soap']['n_max']
    # the parsed metrics are the potential's own errors on its training set, recomputed independently here
    calculator = potential.get_calculator()
    errors = []
    for atoms in frames:
        copy = atoms.copy()
        copy.calc = calculator
        errors.append(copy.get_forces() - atoms.get_forces())
    rmse = float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))
    assert results['metrics']['force_rmse_eV_per_A'] == pytest.approx(rmse, rel=1e-6)
    assert set(results['metrics']['force_rmse_by_element']) == {'Li', 'P', 'S'}
    assert rmse < 0.5 * float(np.sqrt(np.mean(np.concatenate([a.get_forces() for a in frames]) ** 2)))


@pytest.mark.requires_codes
def test_force_dependent_sigma_is_written(aiida_profile, lps_code, morse_labelled_frames):
    training_set = TrainingSetData.from_atoms(morse_labelled_frames(count=16))
    force_sigma = orm.Dict({'sigma_min': 0.01, 'c': 0.1, 'a': 0.01})
    builder = _builder(lps_code('gap_fit'), training_set, force_sigma=force_sigma)
    _, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    log = node.outputs.retrieved.base.repository.get_object_content('gap_fit.out')
    assert 'Number of per-atom setting of force_atom_sigma found:' in log
    assert 'force_atom_sigma found:          0' not in log


@pytest.mark.requires_codes
def test_gap_fit_abort_gives_named_exit_code(aiida_profile, lps_code, morse_labelled_frames):
    """e0 from isolated atoms without isolated-atom configurations in the set: gap_fit aborts."""
    builder = _builder(lps_code('gap_fit'), TrainingSetData.from_atoms(morse_labelled_frames(count=4)))
    builder.parameters = orm.Dict({**TINY, 'e0_method': 'isolated'})
    _, node = run_get_node(builder)
    assert node.exit_status == GapFitCalculation.exit_codes.ERROR_GAP_FIT_ABORTED.status
    assert 'isolated atom energies' in node.exit_message
    assert 'potential' not in node.outputs


@pytest.mark.requires_codes
def test_species_pair_without_data_gets_no_two_body_term(aiida_profile, lps_code, morse_labelled_frames):
    """One fixed-cell Li4PS3 frame repeated: all P-P distances are equal, which gap_fit cannot sparsify."""
    frames = morse_labelled_frames(count=1) * 3
    results, node = run_get_node(_builder(lps_code('gap_fit'), TrainingSetData.from_atoms(frames)))
    assert node.is_finished_ok, node.exit_message
    xml = results['potential'].get_content()
    assert 'Z1=15 Z2=15' not in xml and 'Z1=3 Z2=15' in xml


@pytest.mark.requires_codes
def test_reference_energies_are_the_gaps_isolated_atom_energies(aiida_profile, lps_code, morse_labelled_frames):
    """gap_fit's e0 per species: an atom with no neighbours gets its reference energy back (within the SOAP
    self-term, measured 1-7 meV here)."""
    references = {'Li': -1.5, 'P': -2.5, 'S': -3.5}
    builder = _builder(lps_code('gap_fit'), TrainingSetData.from_atoms(morse_labelled_frames(count=12)),
                       reference_energies=orm.Dict(references))
    results, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    calculator = results['potential'].get_calculator()
    for element, energy in references.items():
        atoms = Atoms(element, positions=[[10.0, 10.0, 10.0]], cell=[20.0, 20.0, 20.0], pbc=True)
        atoms.calc = calculator
        assert atoms.get_potential_energy() == pytest.approx(energy, abs=0.02)


def test_reference_energies_must_cover_every_element(aiida_profile, lps_code, morse_labelled_frames):
    builder = _builder(lps_code('gap_fit'), TrainingSetData.from_atoms(morse_labelled_frames(count=2)),
                       reference_energies=orm.Dict({'Li': -1.5}))
    with pytest.raises(ValueError, match=r"reference_energies has no energy for \['P', 'S'\]: run Isolated"):
        run_get_node(builder)


def test_species_not_covered_is_refused(aiida_profile, lps_code, morse_labelled_frames):
    training_set = TrainingSetData.from_atoms(morse_labelled_frames(count=2))
    builder = _builder(lps_code('gap_fit'), training_set)
    builder.parameters = orm.Dict({**TINY, 'species': ['Li', 'S']})
    with pytest.raises(ValueError, match=r"contains \['P'\], which the hyperparameters"):
        run_get_node(builder)


def test_unknown_hyperparameter_is_refused(aiida_profile, lps_code, morse_labelled_frames):
    builder = _builder(lps_code('gap_fit'), TrainingSetData.from_atoms(morse_labelled_frames(count=2)))
    builder.parameters = orm.Dict({'soap_cutoff': 5.0})
    with pytest.raises(ValueError, match="unknown GAP hyperparameter 'soap_cutoff'"):
        run_get_node(builder)


def test_fit_too_large_for_memory_is_refused(aiida_profile, lps_code, morse_labelled_frames):
    builder = _builder(lps_code('gap_fit'), TrainingSetData.from_atoms(morse_labelled_frames(count=2)))
    builder.parameters = orm.Dict({'soap': {'n_sparse': 10**9}})
    builder.metadata.options.max_memory_kb = 1024**2
    with pytest.raises(ValueError, match='gap_fit would need about'):
        run_get_node(builder)


def test_gap_potential_get_or_create_deduplicates(aiida_profile, tiny_gap_xml):
    first = GapPotentialData.get_or_create(tiny_gap_xml).store()
    assert GapPotentialData.get_or_create(tiny_gap_xml).uuid == first.uuid
    assert first.species == ['Li', 'P', 'S']
    assert first.potential_label.startswith('GAP_')
    with pytest.raises(ValueError, match=r"also has \['Na'\]"):
        first.check_covers(['Li', 'Na'])


@pytest.mark.requires_codes
def test_soap_turbo_descriptor_fits(aiida_profile, lps_code, morse_labelled_frames):
    builder = _builder(lps_code('gap_fit'), TrainingSetData.from_atoms(morse_labelled_frames(count=8)))
    turbo = {'n_sparse': 20, 'alpha_max': 4, 'rcut_hard': 4.5, 'rcut_soft': 4.0}
    builder.parameters = orm.Dict({**TINY, 'soap': None, 'soap_turbo': turbo})
    results, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    assert results['potential'].get_content().count('soap_turbo') >= 3
    assert results['potential'].species == ['Li', 'P', 'S']
