"""LpsStudyWorkChain: training -> glasses, conductivity and GA/hull with real pw.x, gap_fit and lmp, 16-atom crystal."""
import pytest
from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.report.workflows import write_workflow_report
from aiida_lps.workflows.study import LpsStudyWorkChain
from report_page import chromium_dom

#: One generation labelling the one perturbed copy of each structure; one glass; three short temperatures; one GA
#: step on 4 unrelaxed candidates with the best relaxed by pw.x at 20/160 Ry to forces below 2 eV/A.
TINY_STUDY = {
    'training': {
        'initial_sets': [{'count': 2, 'rattle_A': 0.1, 'max_strain': 0.03}],
        'validation_set': {'count': 1, 'rattle_A': 0.1, 'max_strain': 0.02},
        'stages': None,
        'overrides': {'stages': [{
            'name': 'perturb',
            'explorers': [{'type': 'perturb', 'count_per_structure': 1, 'rattle_A': 0.05, 'max_strain': 0.02}],
            'selector': {'method': 'all'},
            'max_generations': 1,
        }]},
    },
    'glass': {'overrides': {'ensemble_size': 1, 'relax_max_steps': 2}},
    'conductivity': {'temperatures_K': [800.0, 1000.0, 1200.0],
                     'overrides': {'equilibration_ps': 0.02, 'production_ps': 0.2, 'dump_interval_fs': 10.0,
                                   'min_atoms': 16}},
    'composition': {'overrides': {
        'ga': {'population_size': 4, 'n_generations': 1, 'n_best': 1, 'relax_max_steps': 0},
        'dft': {'force_threshold_eV_per_A': 2.0, 'max_ionic_steps': 10, 'min_distance_A': 0.0},
        'pw_base': {'pw': {'parameters': {'SYSTEM': {'ecutwfc': 20.0, 'ecutrho': 160.0}}}},
    }},
}


def _builder(lps_code, overrides):
    return LpsStudyWorkChain.get_builder_from_protocol(
        lps_code('pw'), lps_code('gap_fit'), lps_code('lmp'), protocol='fast', overrides=overrides)


@pytest.mark.requires_codes
def test_every_step_uses_the_trained_potential(aiida_profile, lps_code, pseudo_family, tmp_path):
    results, node = run_get_node(_builder(lps_code, TINY_STUDY))

    summary = results['summary'].get_dict()
    children = {link.link_label: link.node for link in node.base.links.get_outgoing().all()
                if isinstance(link.node, orm.WorkflowNode)}
    assert set(children) == {'training', 'glass', 'conductivity', 'composition'}
    for step, child in children.items():
        assert summary[step]['pk'] == child.pk and summary[step]['exit_status'] == child.exit_status
    training = children['training']
    assert results['potential'].uuid == training.outputs.potential.uuid
    assert children['glass'].inputs.potential.uuid == results['potential'].uuid
    assert children['conductivity'].inputs.potential.uuid == results['potential'].uuid
    assert children['composition'].inputs.potential.uuid == results['potential'].uuid
    # 2 initial structures and, in generation 1, the one perturbed copy of the crystal (the validation set apart)
    assert training.outputs.training_set.num_structures == 3
    assert summary['training']['generations'] == summary['training']['potential_generation'] == 1
    assert summary['training']['validation_force_rmse_eV_per_A'] > 0
    # a failed step is named, not hidden
    failed = [step for step in ('glass', 'conductivity', 'composition') if not children[step].is_finished_ok]
    assert summary['failed'] == failed
    assert node.exit_status == (LpsStudyWorkChain.exit_codes.ERROR_STEPS_FAILED.status if failed else 0)
    report = '\n'.join(log.message for log in orm.Log.collection.get_logs_for(node))
    assert 'step 1/4 training done' in report and 'step 4/4 composition done' in report
    if children['composition'].is_finished_ok:
        rows = summary['composition']['structures']
        assert 'parent' in rows and len(rows) == 2  # the relaxed crystal and the GA's best candidate
        assert all(row['e_above_hull_meV_per_atom'] >= 0 for row in rows.values())

    # the study's report: every workflow's figure, each decoded by Chromium
    page = chromium_dom(write_workflow_report(node, tmp_path / 'study.html'), tmp_path)
    assert page.body['data-images-loaded'] == 'true'
    figures = {'training': 'plot', 'glass': 'rdf_plot', 'conductivity': 'arrhenius_plot', 'composition': 'hull_plot'}
    expected = [children[step].outputs[name].uuid for step, name in figures.items() if name in children[step].outputs]
    assert training.outputs.plot.uuid in expected
    assert set(expected) <= {image['data-uuid'] for image in page.images}
    assert [row[0]['text'] for row in page.table('RMSE per generation')] == ['0', '1']


def test_bad_parameters_are_refused(aiida_profile, lps_code):
    with pytest.raises(ValueError, match="crystal 'quartz' is not in the library"):
        run_get_node(_builder(lps_code, {'crystal': 'quartz'}))
    with pytest.raises(ValueError, match='conductivity temperatures_K: an Arrhenius fit needs at least 3'):
        run_get_node(_builder(lps_code, {'conductivity': {'temperatures_K': [600.0, 800.0]}}))
    # settings of the late steps are checked before the training starts
    with pytest.raises(ValueError, match='conductivity: .*production_ps 0.1 stores only 5 frames'):
        run_get_node(_builder(lps_code, {'conductivity': {'overrides': {'production_ps': 0.1}}}))
    with pytest.raises(ValueError, match='composition: 4 steps removing 1 Li2S each need 8 Li but the parent has 6'):
        run_get_node(_builder(lps_code, {'composition': {'n_steps': 4}}))
    with pytest.raises(ValueError, match="glass: unknown protocol 'fastest'"):
        run_get_node(_builder(lps_code, {'glass': {'protocol': 'fastest'}}))
    with pytest.raises(ValueError, match=r"training: stages \['glass'\] are not in the fast training protocol"):
        run_get_node(_builder(lps_code, {'training': {'stages': ['glass']}}))
    # the precise study runs the crystal stage of the precise training on its own crystal
    builder = _builder(lps_code, {})
    inputs = {**builder._inputs(prune=True), 'parameters': orm.Dict(LpsStudyWorkChain.get_protocol_inputs('precise'))}
    assert LpsStudyWorkChain.spec().inputs.validate(inputs) is None



def test_options_reach_the_calculations_of_every_code(generate_workchain, lps_code, pseudo_family, tiny_gap_xml):
    """Cluster options per code (e.g. account, queue) go to pw.x in the training and the composition sweep, to
    gap_fit, and to LAMMPS in the training's MD explorers and the conductivity."""
    from aiida_lps.data.gap_potential import GapPotentialData

    options = {'pw': {'account': 'project123', 'resources': {'num_machines': 1, 'num_mpiprocs_per_machine': 64}},
               'gap_fit': {'queue_name': 'bigmem', 'max_wallclock_seconds': 3600},
               'lmp': {'account': 'project123', 'max_wallclock_seconds': 600}}
    builder = LpsStudyWorkChain.get_builder_from_protocol(
        lps_code('pw'), lps_code('gap_fit'), lps_code('lmp'), protocol='fast', options=options)
    workchain = generate_workchain('lps.study', builder._inputs(prune=True))
    training = workchain._training_builder()
    pw_options = training.labelling.pw_base.pw.metadata.options
    assert (pw_options.account, pw_options.resources['num_mpiprocs_per_machine']) == ('project123', 64)
    assert pw_options.max_wallclock_seconds == 1800  # the labelling protocol's wall time is kept
    gap_fit_options = training.gap_fit.metadata.options
    assert (gap_fit_options.queue_name, gap_fit_options.max_wallclock_seconds) == ('bigmem', 3600)
    assert training.md.lammps.metadata.options.account == 'project123'
    workchain.ctx.potential = GapPotentialData(tiny_gap_xml).store()
    conductivity_options = workchain._conductivity_builder().md.lammps.metadata.options
    assert (conductivity_options.account, conductivity_options.max_wallclock_seconds) == ('project123', 600)
    assert workchain._composition_builder().pw_base.pw.metadata.options.account == 'project123'


def test_options_for_an_unknown_code_are_refused(lps_code):
    with pytest.raises(ValueError, match=r"options for unknown codes \['lammps'\]: give metadata.options per code"):
        LpsStudyWorkChain.get_builder_from_protocol(
            lps_code('pw'), lps_code('gap_fit'), lps_code('lmp'), protocol='fast', options={'lammps': {}})
