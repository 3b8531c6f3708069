"""aiida_lps.query on real processes: a tiny training run (pw.x, gap_fit) and conductivity calcfunctions."""
import io

import numpy as np
import pytest
from aiida import orm

from aiida_lps import query
from aiida_lps.calculations.functions.concatenate_training_sets import concatenate_training_sets
from aiida_lps.calculations.functions.conductivity_at_temperature import conductivity_at_temperature
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.data.training_set import TrainingSetData

FRAME_INTERVAL_PS = 0.1
N_FRAMES = 200
LI_DIFFUSIVITY_A2_PER_PS = 0.5


def pw_calculations(workflow):
    """The PwCalculations run anywhere below ``workflow``, by primary key."""
    called = workflow.called_descendants
    return sorted((node for node in called if node.process_type == 'aiida.calculations:quantumespresso.pw'),
                  key=lambda node: node.pk)


def force_rmse(potential, configurations):
    """Force RMSE (eV/Angstrom) of ``potential`` on a TrainingSetData, computed here with its ASE calculator."""
    calculator = potential.get_calculator()
    errors = []
    for atoms in configurations.to_atoms():
        reference = atoms.get_forces()
        atoms.calc = calculator
        errors.append(atoms.get_forces() - reference)
    return float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))


@pytest.mark.requires_codes
def test_potential_errors_give_training_and_validation_rmses(training_run):
    outputs = training_run.outputs
    table = outputs.rmse_table['generations']
    generations = {row['generation']: outputs.generations[f'gen_{row["generation"]}'].potential for row in table}
    validation_set = outputs.validation_set
    rows = {row.uuid: row for row in query.potential_errors()}

    for generation, potential in generations.items():
        row = rows[potential.uuid]
        fit = potential.creator
        assert row.pk == potential.pk and row.species == ['Li', 'S']
        assert row.training == fit.outputs.metrics.get_dict()
        # one held-out set, with the RMSE the workflow recorded and the one recomputed here from the potential
        assert list(row.validation) == [validation_set.uuid]
        validation = row.validation[validation_set.uuid]
        assert validation['force_rmse_eV_per_A'] == pytest.approx(
            table[generation]['rmse']['validation']['force_rmse_eV_per_A'])
        assert validation['force_rmse_eV_per_A'] == pytest.approx(force_rmse(potential, validation_set), rel=1e-6)
    assert validation_set.uuid in [node.uuid for node in query.validation_sets()]
    assert outputs.training_set.uuid not in [node.uuid for node in query.validation_sets()]
    # the validation configuration is held out: the training errors differ from the validation errors
    final = rows[outputs.potential.uuid]
    assert final.training['force_rmse_eV_per_A'] != pytest.approx(
        final.validation[validation_set.uuid]['force_rmse_eV_per_A'])
    # an explicit set restricts the validation columns; a set nobody evaluated on gives none
    only = {row.uuid: row for row in query.potential_errors(validation_set=outputs.training_set)}
    assert only[final.uuid].validation == {}


@pytest.mark.requires_codes
def test_newest_finished_needs_the_output(training_run):
    from aiida_lps.workflows.training import IterativeTrainingWorkChain

    newest = query.newest_finished(IterativeTrainingWorkChain, 'potential')
    assert newest.is_finished and 'potential' in newest.outputs and newest.ctime >= training_run.ctime
    assert query.newest_finished(IterativeTrainingWorkChain, 'no_such_output') is None


@pytest.mark.requires_codes
def test_lineage_walks_concatenations_to_the_dft_calculations(training_run):
    outputs = training_run.outputs
    potential = outputs.potential
    training_set = query.fitted_training_set(potential)
    assert training_set.uuid == outputs.training_set.uuid

    lineage = query.training_set_lineage(training_set)
    labelling = {link.link_label: link.node for link in training_run.base.links.get_outgoing(
        link_label_filter='label_%').all()}
    assert set(labelling) == {'label_initial_structures', 'label_validation_structures', 'label_gen_1'}
    expected = pw_calculations(labelling['label_initial_structures']) + pw_calculations(labelling['label_gen_1'])
    # every configuration of the set is traced to the pw.x run that labelled it; the validation run is not
    assert [calculation.uuid for calculation in lineage.calculations] == [calculation.uuid for calculation in expected]
    assert [source.label for source in lineage.sources] == ['li2s_a', 'perturb_li2s_0']
    assert [workflow.uuid for workflow in lineage.labelling_workflows] == [
        labelling['label_initial_structures'].uuid, labelling['label_gen_1'].uuid]
    # the concatenated set, then its two parts: the initial labels and the labels of generation 1
    assert lineage.training_sets[0].uuid == training_set.uuid
    assert training_set.creator.process_label == 'concatenate_training_sets'
    parts = {labelling[label].outputs.training_set.uuid for label in ('label_initial_structures', 'label_gen_1')}
    assert {node.uuid for node in lineage.training_sets[1:]} == parts
    assert lineage.sets_without_provenance == ()
    energies = dict(zip([tags['label'] for tags in training_set.get_tags()], training_set.get_energies()))
    for source in lineage.sources:
        assert energies[source.label] == pytest.approx(source.calculation.outputs.output_parameters['energy'])


def test_lineage_of_a_set_stored_from_frames_has_no_sources(aiida_profile, morse_labelled_frames):
    first = TrainingSetData.from_atoms(morse_labelled_frames(count=2, seed=1)).store()
    second = TrainingSetData.from_atoms(morse_labelled_frames(count=1, seed=2)).store()
    combined = concatenate_training_sets(set_0=first, set_1=second)
    lineage = query.training_set_lineage(combined)
    assert lineage.sources == ()
    assert [node.uuid for node in lineage.training_sets] == [combined.uuid, first.uuid, second.uuid]
    assert {node.uuid for node in lineage.sets_without_provenance} == {first.uuid, second.uuid}
    with pytest.raises(ValueError, match='was not created by a fit'):
        query.fitted_training_set(_stored_potential_without_fit())


def _stored_potential_without_fit():
    xml = '<GAP_params label="GAP_test"><descriptor>distance_2b Z1=3 Z2=16</descriptor></GAP_params>'
    return GapPotentialData(io.BytesIO(xml.encode())).store()


def md_run(symbols, temperature_K, seed):
    """``trajectory_`` and ``thermo_`` inputs of one synthetic NVE run at ``temperature_K`` (K)."""
    thermo = orm.ArrayData()
    thermo.set_array('Temp', np.full(N_FRAMES, temperature_K))
    thermo.set_array('stage', np.ones(N_FRAMES, dtype=int))
    return {'trajectory': random_walk_trajectory(symbols, seed), 'thermo': thermo.store()}


def random_walk_trajectory(symbols, seed):
    """A TrajectoryData whose Li atoms random-walk with D = 0.5 Angstrom^2/ps; P and S vibrate in place."""
    rng = np.random.default_rng(seed)
    symbols = np.array(symbols)
    cell = np.diag([10.0, 10.0, 12.0])
    step = np.where(symbols == 'Li', np.sqrt(2 * LI_DIFFUSIVITY_A2_PER_PS * FRAME_INTERVAL_PS), 0.0)
    start = rng.uniform(0, 10, size=(len(symbols), 3))
    positions = start + np.cumsum(rng.normal(size=(N_FRAMES, len(symbols), 3)) * step[None, :, None], axis=0)
    positions += 0.1 * rng.normal(size=positions.shape)
    trajectory = orm.TrajectoryData()
    trajectory.set_trajectory(list(symbols), positions, cells=np.repeat(cell[None], N_FRAMES, axis=0),
                              times=FRAME_INTERVAL_PS * np.arange(N_FRAMES), pbc=(True, True, True))
    return trajectory.store()


def test_conductivity_results_by_composition_and_temperature(aiida_profile):
    li3ps4 = ['Li'] * 12 + ['P'] * 4 + ['S'] * 16
    li7p3s11 = ['Li'] * 14 + ['P'] * 6 + ['S'] * 22
    earlier = {result.uuid for result in query.conductivity_results()}  # of other tests in this session
    created = {}
    for name, symbols, temperatures in (('Li3PS4', li3ps4, (400.0, 600.0, 800.0)), ('Li7P3S11', li7p3s11, (600.0,))):
        for index, temperature_K in enumerate(temperatures):
            runs = {f'{kind}_{label}': node for label, seed in (('a', index), ('b', index + 10))
                    for kind, node in md_run(symbols, temperature_K, seed).items()}
            node = conductivity_at_temperature(
                temperature_K=orm.Float(temperature_K), mobile_species=orm.Str('Li'), charge=orm.Float(1.0),
                max_temperature_deviation=orm.Float(0.25), **runs,
            )
            created[(name, temperature_K)] = node

    def new(results):
        return [result for result in results if result.uuid not in earlier]

    found = new(query.conductivity_results('Li6P2S8', min_temperature_K=500.0, max_temperature_K=800.0))
    assert [(result.formula, result.temperature_K) for result in found] == [('Li3PS4', 600.0), ('Li3PS4', 800.0)]
    for result in found:
        node = created[('Li3PS4', result.temperature_K)]
        assert result.uuid == node.uuid and result.workflow_pk is None
        assert result.conductivity_S_per_cm == node['conductivity_S_per_cm'] > 0
        # the random walk's D comes back (1 Angstrom^2/ps = 1e-4 cm^2/s)
        error = result.diffusivity_err_cm2_per_s
        assert abs(result.diffusivity_cm2_per_s - LI_DIFFUSIVITY_A2_PER_PS * 1e-4) < 4 * error
        assert not result.matrix_flowing
    assert [result.formula for result in new(query.conductivity_results('Li7P3S11'))] == ['Li7P3S11']
    assert {(result.formula, result.temperature_K) for result in new(query.conductivity_results())} == set(created)
    assert new(query.conductivity_results('Li3PS4', min_temperature_K=900.0)) == []
    with pytest.raises(ValueError, match='cannot read the formula'):
        query.conductivity_results('Li3PS4)')
