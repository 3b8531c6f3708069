"""AIMD as a training explorer: frames of a pw.x MD (real pw.x, 3-atom Li2S, ``fast`` labels) become training labels
without relabelling, with provenance to the PwMdCalculation; the explorer's checks; a training generation with it."""
import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from li2s_cells import FIXED_OCCUPATIONS, li2s

from aiida_lps.query import training_set_lineage
from aiida_lps.sampling.md_segments import strided_production_frames
from aiida_lps.workflows.explorers import EXPLORERS, AimdExplorer
from aiida_lps.workflows.labelling import DftLabellingWorkChain, label_settings_mismatch
from aiida_lps.workflows.stages import stage_message
from aiida_lps.workflows.training import IterativeTrainingWorkChain

#: 2 Andersen steps, then 6 NVE steps of 1 fs; the frames at production steps 2 and 5 are kept.
AIMD = {'type': 'aimd', 'temperatures_K': [600.0], 'timestep_fs': 1.0, 'equilibration_steps': 2,
        'thermostat_damping_fs': 20.0, 'production_steps': 6, 'stride_steps': 3}


@pytest.fixture(autouse=True)
def quick_polls(aiida_localhost):
    """Seconds-long pw.x runs: poll the scheduler without the default pause."""
    aiida_localhost.set_minimum_job_poll_interval(0)


def labelling_inputs(code, **system):
    """The ``labelling`` namespace of a training with the ``fast`` labels (and ``system`` over its SYSTEM)."""
    builder = DftLabellingWorkChain.get_builder_from_protocol(
        code, {'li2s': li2s(1)}, protocol='fast',
        overrides={'pw_base': {'pw': {'parameters': {'SYSTEM': {**FIXED_OCCUPATIONS['pw_base']['pw']['parameters']
                                                                ['SYSTEM'], **system}}}}})
    return {key: value for key, value in builder._inputs(prune=True).items() if key != 'structures'}


def test_strided_production_frames_skip_the_equilibration_and_cross_the_joins():
    plan = [{'label': 'segment_1', 'kept': 4, 'stage': 0, 'first_step': 0},
            {'label': 'segment_2', 'kept': 5, 'stage': 1, 'first_step': 4},
            {'label': 'segment_3', 'kept': 6, 'stage': 1, 'first_step': 9}]
    frames = strided_production_frames(plan, 4)
    assert frames == [('segment_2', 0, 4), ('segment_2', 4, 8), ('segment_3', 3, 12)]
    assert [step for _, _, step in strided_production_frames(plan, 1)] == list(range(4, 15))
    # a run that stopped in its equilibration: the frames of that stage
    assert strided_production_frames(plan[:1], 2) == [('segment_1', 0, 0), ('segment_1', 2, 2)]
    with pytest.raises(ValueError, match='stride_steps must be at least 1'):
        strided_production_frames(plan, 0)


def test_aimd_explorer_settings_are_checked():
    assert AimdExplorer.validate(AIMD) is None and EXPLORERS['aimd'] is AimdExplorer
    assert AimdExplorer.validate({'type': 'aimd'}) == ("explorer aimd: give ['equilibration_steps', "
                                                        "'production_steps', 'stride_steps']")
    assert 'unknown settings' in AimdExplorer.validate({**AIMD, 'snapshot_spacing_ps': 0.1})
    assert 'above the 2.0 fs bound for cells with Li' in AimdExplorer.validate({**AIMD, 'timestep_fs': 2.5})
    assert 'stride_steps must be a positive integer' in AimdExplorer.validate({**AIMD, 'stride_steps': 0})
    assert 'production_steps >= stride_steps' in AimdExplorer.validate({**AIMD, 'production_steps': 2})
    assert 'positive temperatures' in AimdExplorer.validate({**AIMD, 'temperatures_K': []})
    stage = {'name': 'aimd', 'explorers': [AIMD], 'selector': {'method': 'all'}, 'max_generations': 1}
    assert stage_message(0, stage, {'li2s'}) is None
    assert AimdExplorer.md_settings(AimdExplorer.settings(AIMD)) is None  # no LAMMPS needed


@pytest.mark.requires_codes
def test_aimd_frames_become_labels_leading_to_the_pw_md_calculation(aiida_profile, lps_code, pseudo_family):
    from aiida_lps.workflows.pw_md import PwMdWorkChain

    labelling = labelling_inputs(lps_code('pw'))
    settings = AimdExplorer.settings(AIMD)
    structure = li2s(1)
    results, run = run_get_node(PwMdWorkChain, **AimdExplorer.md_inputs(labelling, structure, settings, 600.0, 3))
    assert run.is_finished_ok, run.exit_message
    assert run.inputs.parameters['SYSTEM']['ecutwfc'] == labelling['pw_base']['pw']['parameters']['SYSTEM']['ecutwfc']

    labelled, failures = AimdExplorer.collect(None, {'li2s_600K': run}, settings)
    assert failures == {} and list(labelled) == ['aimd_li2s_600K']
    training_set = labelled['aimd_li2s_600K']
    tags = training_set.get_tags()
    assert [tag['md_step'] for tag in tags] == [2, 5]
    assert {tag['source'] for tag in tags} == {'dft'} and tags[0]['temperature_K'] == 600.0
    # the labels are pw.x's at those steps: energies as in the run's thermo, forces of the production pw.x run
    thermo = results['thermo']
    potential = dict(zip(thermo.get_array('Step'), thermo.get_array('PotEng')))
    np.testing.assert_allclose(training_set.get_energies(), [potential[2], potential[5]], rtol=0, atol=1e-8)
    production = run.base.links.get_outgoing(link_label_filter='segment_2').one().node
    frames = production.outputs.output_trajectory
    forces = training_set.get_array('forces').reshape(2, 3, 3)
    np.testing.assert_allclose(forces, frames.get_array('forces')[[0, 3]], atol=1e-10)
    np.testing.assert_allclose(training_set.to_atoms()[1].positions, frames.get_positions()[3], atol=1e-10)

    # provenance: the lineage names the production PwMdCalculation as the label source
    lineage = training_set_lineage(training_set)
    assert [(source.label, source.calculation.uuid) for source in lineage.sources] == [('segment_2', production.uuid)]
    # the label-settings check reads the MD run's settings as those of a single point
    assert label_settings_mismatch(training_set, labelling) is None
    message = label_settings_mismatch(training_set, labelling_inputs(lps_code('pw'), ecutwfc=35.0))
    assert message.startswith(f'labels of TrainingSetData<{training_set.pk}> were made with other settings')
    assert 'ecutwfc 30.0 there, 35.0 now' in message and f'PwMdCalculation<{production.pk}>' in message

    # no relabelling needed: a pw.x single point of the frame at step 5 gives the same energy and forces
    atoms = training_set.to_atoms()[1]
    single, node = run_get_node(DftLabellingWorkChain, structures={'frame': orm.StructureData(ase=atoms)},
                                **labelling)
    assert node.is_finished_ok, node.exit_message
    relabelled = single['training_set']
    assert abs(relabelled.get_energies()[0] - training_set.get_energies()[1]) / 3 < 1e-5  # eV/atom
    np.testing.assert_allclose(relabelled.get_array('forces'), forces[1], atol=2e-3)  # eV/Angstrom


@pytest.mark.requires_codes
def test_a_training_generation_adds_the_aimd_frames_without_relabelling(training_run):
    stage = {'name': 'aimd', 'explorers': [AIMD], 'selector': {'method': 'all'}, 'max_generations': 1}
    builder = IterativeTrainingWorkChain.get_builder_continuation(training_run, stages=[stage])
    results, node = run_get_node(builder)
    assert node.exit_status in (0, IterativeTrainingWorkChain.exit_codes.WARNING_TRAINING_NOT_CONVERGED.status), \
        node.exit_message
    assert not [child for child in node.called if child.process_label == 'DftLabellingWorkChain']
    md = node.base.links.get_outgoing(link_label_filter='aimd_li2s_600K').one().node
    assert md.process_label == 'PwMdWorkChain' and md.is_finished_ok
    row = results['rmse_table']['generations'][-1]
    assert (row['stage'], row['n_candidates'], row['n_explorer_labelled'], row['n_labelled']) == ('aimd', 0, 2, 2)
    assert row['candidates_by_explorer'] == {'aimd': 2}
    before = training_run.outputs.training_set
    final = results['training_set']
    assert final.num_structures == before.num_structures + 2
    np.testing.assert_array_equal(final.get_energies()[:-2], before.get_energies())
    assert [(tag['generation'], tag['stage'], tag['md_step']) for tag in final.get_tags()[-2:]] == [
        (row['generation'], 'aimd', 2), (row['generation'], 'aimd', 5)]
    # the refitted GAP was fitted to them, and the lineage of the final set reaches the pw.x MD
    assert results['potential'].creator.inputs.training_set.uuid == final.uuid  # noqa: SIM300
    sources = training_set_lineage(final).calculations
    assert {calculation.process_label for calculation in sources} == {'PwCalculation', 'PwMdCalculation'}
    assert any(calculation.caller.uuid == md.uuid for calculation in sources)
    # and a continuation of this run checks the MD labels' settings like the others
    continuation = IterativeTrainingWorkChain.get_builder_continuation(node)
    assert label_settings_mismatch(final, continuation.labelling) is None
    continuation.labelling.pw_base.kpoints_distance = orm.Float(0.3)
    assert 'kpoints_distance 100.0 there, 0.3 now' in label_settings_mismatch(final, continuation.labelling)
