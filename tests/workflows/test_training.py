"""IterativeTrainingWorkChain with real pw.x, gap_fit and lmp on tiny Li2S cells, and its pure decisions."""
import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from li2s_cells import FIXED_OCCUPATIONS, li2s, li2s_atoms

from aiida_lps.sampling.selection import known_configuration_mask
from aiida_lps.workflows.stages import resume_point, stage_verdict, with_label_cap
from aiida_lps.workflows.training import IterativeTrainingWorkChain

PERTURB_STAGE = {
    'name': 'perturb',
    'explorers': [{'type': 'perturb', 'count_per_structure': 1, 'rattle_A': 0.1, 'max_strain': 0.02}],
    'selector': {'method': 'all'},
    'max_generations': 2,
    'patience': 2,
}
MD_STAGE = {
    'name': 'md',
    'structures': ['li2s'],
    'explorers': [{'type': 'md', 'temperatures_K': [600.0], 'timestep_fs': 2.0, 'damping_fs': 100.0,
                   'equilibration_ps': 0.02, 'production_ps': 0.08, 'snapshot_spacing_ps': 0.02}],
    # MD with a GAP fitted to four 3-atom cells is wild; pw.x still labels such snapshots, which is all this tests
    'selector': {'method': 'fps', 'count': 2, 'soap': {'r_cut': 4.0, 'n_max': 4, 'l_max': 3, 'sigma': 0.5},
                 'min_distance_A': 0.6},
    'max_generations': 2,
    'force_rmse_tolerance_eV_per_A': 10.0,  # any first generation counts as converged
}


#: A POD of 3 + 2 radial functions (44 coefficients for Li and S): fitted alongside the GAP in seconds.
SMALL_POD = {'twobody_number_radial_basis_functions': 3, 'threebody_number_radial_basis_functions': 2,
             'threebody_angular_degree': 2}


def _odd_lis():
    atoms = li2s_atoms()
    del atoms[2]  # LiS: an odd electron count, which pw.x refuses with fixed occupations
    return orm.StructureData(ase=atoms)


def _pw_structures(node):
    """The structures of every PwCalculation called anywhere below ``node``."""
    return [
        called.inputs.structure.get_ase() for called in node.called_descendants
        if called.process_type == 'aiida.calculations:quantumespresso.pw'
    ]


@pytest.mark.requires_codes
def test_failed_labels_are_skipped_and_a_continued_run_relabels_nothing(aiida_profile, lps_code, pseudo_family):
    builder = IterativeTrainingWorkChain.get_builder_from_protocol(
        lps_code('pw'), lps_code('gap_fit'), {'li2s': li2s(), 'lis_odd': _odd_lis()}, lammps_code=lps_code('lmp'),
        protocol='fast',
        overrides={'stages': [PERTURB_STAGE], 'labelling_overrides': FIXED_OCCUPATIONS,
                   'snap_parameters': {'twojmax': 2}, 'pod_parameters': SMALL_POD},
        initial_structures={'li2s_a': li2s(1), 'li2s_b': li2s(2), 'lis_c': _odd_lis()},
        validation_structures={'li2s_v': li2s(3)},
    )
    results, first = run_get_node(builder)

    # both generations ran although one of the two DFT labels of each generation failed; max_generations ended it
    assert first.exit_status == IterativeTrainingWorkChain.exit_codes.WARNING_TRAINING_NOT_CONVERGED.status
    table = results['rmse_table']['generations']
    assert [row['generation'] for row in table] == [0, 1, 2]
    assert table[0]['initial_structures'] == {'n_labelled': 2, 'n_failed': 1}
    for row in table[1:]:
        assert (row['n_candidates'], row['n_selected'], row['n_labelled'], row['n_failed']) == (2, 2, 1, 1)
        assert list(row['label_failures']) == ['perturb_lis_odd_0']
        assert row['rmse']['validation']['force_rmse_eV_per_A'] > 0
    assert results['rmse_table']['stages']['perturb']['verdict'] == 'max_generations'
    training_set = results['training_set']
    assert training_set.num_structures == 4
    assert all(atoms.get_chemical_formula() == 'Li2S' for atoms in training_set.to_atoms())
    assert [tags['generation'] for tags in training_set.get_tags()] == [0, 0, 1, 2]
    assert set(results['generations']) == {'gen_0', 'gen_1', 'gen_2'}
    assert results['generations']['gen_2']['potential'].uuid == results['potential'].uuid
    assert results['plot'].get_content(mode='rb')[:8] == b'\x89PNG\r\n\x1a\n'
    # a SNAP and a POD were fitted alongside every GAP and evaluated on the same validation set
    for kind in ('snap', 'pod'):
        assert all(row[f'rmse_{kind}']['validation']['n_structures'] == 1 for row in table)
        assert results['generations']['gen_2'][f'{kind}_potential'].uuid == results[f'{kind}_potential'].uuid
    assert results['snap_potential'].base.attributes.get('twojmax') == 2
    assert results['pod_potential'].hyperparameters['threebody_angular_degree'] == 2
    report = '\n'.join(log.message for log in orm.Log.collection.get_logs_for(first))
    assert 'gen 1: 1 labelled, 1 failed; excluded `perturb_lis_odd_0`' in report
    assert 'gen 2: 2 candidates' in report and 'validation 0.' in report

    # the continuation starts from the outputs: no initial or validation labelling, no PwCalculation repeated
    continuation = IterativeTrainingWorkChain.get_builder_continuation(first, stages=[MD_STAGE])
    results_continued, second = run_get_node(continuation)
    assert second.is_finished_ok, second.exit_message
    # its table holds the generations of both runs (the starting row of the continuation is not repeated)
    assert [row['generation'] for row in results_continued['rmse_table']['generations']] == [0, 1, 2, 3]
    assert results_continued['rmse_table']['generations'][3]['stage'] == 'md'
    assert set(results_continued['rmse_table']['stages']) == {'perturb', 'md'}
    labelled_before = training_set.to_atoms() + results['validation_set'].to_atoms()
    relabelled = known_configuration_mask(_pw_structures(second), labelled_before)
    assert len(relabelled) == 2 and not relabelled.any()
    final = results_continued['training_set']
    assert final.num_structures == 6
    np.testing.assert_array_equal(final.get_energies()[:4], training_set.get_energies())
    assert results_continued['rmse_table']['stages']['md']['verdict'] == 'converged'
    assert results_continued['validation_set'].uuid == results['validation_set'].uuid

    # an MD explorer with `potential: pod` runs with the POD fitted to the set it starts from; a POD of four 3-atom
    # cells loses its atoms at 600 K, which is recorded as an exploration failure, and the stage stalls (exit 411)
    pod_md = {**MD_STAGE, 'explorers': [{**MD_STAGE['explorers'][0], 'potential': 'pod'}], 'patience': 1}
    _, third = run_get_node(IterativeTrainingWorkChain.get_builder_continuation(first, stages=[pod_md]))
    assert third.exit_status == IterativeTrainingWorkChain.exit_codes.WARNING_TRAINING_STALLED.status
    md_run = next(child for child in third.called if child.process_type == 'aiida.workflows:lps.lammps_md_base')
    assert len(md_run.called) == 1  # exploration does not retry lost atoms with a shorter time step
    fit = md_run.inputs.lammps.potential.creator
    assert fit.process_type == 'aiida.calculations:lps.pod_fit' and fit.inputs.training_set.uuid == training_set.uuid
    failures = third.outputs.rmse_table['generations'][-1]['exploration_failures']
    assert failures == {'md_li2s_600K': f'LammpsMdBaseWorkChain<{md_run.pk}> exit 310: {md_run.exit_message}'}
    assert 'exit status 410' in md_run.exit_message


def test_stage_verdict_known_answers():
    assert stage_verdict([0.50, 0.30], 0.01, 1, 5) is None  # improved by 0.2
    assert stage_verdict([0.50, 0.30, 0.295], 0.01, 1, 5) == 'converged'
    assert stage_verdict([0.50, 0.30, 0.295], 0.01, 2, 5) is None  # only one small improvement so far
    assert stage_verdict([0.50, 0.30, 0.295, 0.31], 0.01, 2, 5) == 'converged'  # getting worse counts as no gain
    assert stage_verdict([0.50, 0.30, None], 0.01, 1, 5) == 'stalled'  # a generation without new labels
    assert stage_verdict([0.50, 0.30, 0.295, None], 0.01, 2, 5) == 'converged'  # ... counts as no improvement
    assert stage_verdict([0.50, None, None], 0.01, 2, 5) == 'stalled'
    assert stage_verdict([None, 0.4], 0.01, 1, 5) is None  # nothing to compare the first value with
    assert stage_verdict([0.50, None, 0.30], 0.01, 1, 5) is None  # compared with the last measured value
    assert stage_verdict([0.50, 0.30, 0.20], 0.01, 1, 2) == 'max_generations'


def test_resume_point_finds_the_first_unfinished_stage_and_its_history():
    stages = [{'name': 'a', 'explorers': [], 'selector': {}, 'max_generations': 3, 'patience': 1},
              {'name': 'b', 'explorers': [], 'selector': {}, 'max_generations': 2, 'patience': 1}]

    def row(generation, stage, rmse):
        return {'generation': generation, 'stage': stage, 'convergence_force_rmse_eV_per_A': rmse}

    start = [row(0, 'start', 0.5)]
    assert resume_point(stages, start) == (0, None)  # nothing of stage a yet: it starts afresh
    assert resume_point(stages, start + [row(1, 'a', 0.3)]) == (0, [0.5, 0.3])  # paused in a
    finished_a = start + [row(1, 'a', 0.3), row(2, 'a', 0.295)]  # converged (improved by < 0.01)
    assert resume_point(stages, finished_a) == (1, None)
    assert resume_point(stages, finished_a + [row(3, 'b', 0.2)]) == (1, [0.295, 0.2])
    assert resume_point(stages, finished_a + [row(3, 'b', 0.2), row(4, 'b', 0.1)]) == (2, None)  # max_generations


def test_a_label_cap_shrinks_counted_selections_only():
    stages = [{'name': 'crystal', 'selector': {'method': 'uncertainty', 'count': 10, 'max_per_run': 2}},
              {'name': 'glass', 'selector': {'method': 'all'}},
              {'name': 'few', 'selector': {'method': 'random', 'count': 2}}]
    capped = with_label_cap(stages, 4)
    assert capped[0]['selector'] == {'method': 'uncertainty', 'count': 4, 'max_per_run': 2}
    assert capped[1:] == [stages[1], stages[2]]  # nothing to cap
    assert stages[0]['selector']['count'] == 10  # the given stages are not changed


def test_bad_stages_are_refused_before_anything_runs(aiida_profile, lps_code, pseudo_family):
    def builder(stage, overrides_extra=None, **kwargs):
        return IterativeTrainingWorkChain.get_builder_from_protocol(
            lps_code('pw'), lps_code('gap_fit'), {'li2s': li2s()}, protocol='fast',
            overrides={'stages': [stage], **(overrides_extra or {})},
            initial_structures={'li2s_a': li2s(1)}, **kwargs,
        )

    with pytest.raises(ValueError, match=r"snap_parameters: unknown SNAP hyperparameter 'twojmx'"):
        run_get_node(builder(PERTURB_STAGE, overrides_extra={'snap_parameters': {'twojmx': 6}}))
    snap_md = {**MD_STAGE, 'explorers': [{**MD_STAGE['explorers'][0], 'potential': 'snap'}]}
    with pytest.raises(ValueError, match=r'stage md runs MD with the SNAP: give snap_parameters'):
        run_get_node(builder(snap_md, lammps_code=lps_code('lmp')))
    pod_md = {**MD_STAGE, 'explorers': [{**MD_STAGE['explorers'][0], 'potential': 'pod'}]}
    with pytest.raises(ValueError, match=r'stage md runs MD with the POD: give pod_parameters'):
        run_get_node(builder(pod_md, lammps_code=lps_code('lmp')))
    with pytest.raises(ValueError, match=r"pod_parameters: unknown POD hyperparameter 'r_cut'"):
        run_get_node(builder(PERTURB_STAGE, overrides_extra={'pod_parameters': {'r_cut': 5.0}}))
    wrong_md = {**MD_STAGE, 'explorers': [{**MD_STAGE['explorers'][0], 'potential': 'mace'}]}
    with pytest.raises(ValueError,
                       match=r"explorer md: potential must be one of \['gap', 'nn', 'pod', 'snap'\], got 'mace'"):
        run_get_node(builder(wrong_md, lammps_code=lps_code('lmp')))
    with pytest.raises(ValueError, match=r'stage md runs MD: give lammps_code'):
        run_get_node(builder(MD_STAGE))
    with pytest.raises(ValueError, match=r"unknown explorer type 'rss'"):
        run_get_node(builder({**PERTURB_STAGE, 'explorers': [{'type': 'rss'}]}))
    with pytest.raises(ValueError, match=r'structure `li2s` has no P-P pair'):
        run_get_node(builder({**PERTURB_STAGE, 'explorers': [{'type': 'pp_scan', 'distances_A': [2.0]}]}))
    with pytest.raises(ValueError, match=r"structures \['beta'\] are not among the inputs"):
        run_get_node(builder({**PERTURB_STAGE, 'structures': ['beta']}))
    fps_capped = {**PERTURB_STAGE, 'selector': {'method': 'fps', 'count': 2, 'max_per_run': 1}}
    with pytest.raises(ValueError, match=r'selector max_per_run must be a positive integer, with the method random'):
        run_get_node(builder(fps_capped))


def test_training_plot_draws_each_series_and_the_per_element_parity(tmp_path):
    from aiida_lps.plotting.training import plot_training_history

    rows = [{'generation': generation, 'stage': 'start' if generation == 0 else 'crystal', 'rmse': {
        'train': {'force_rmse_eV_per_A': 0.1, 'energy_rmse_meV_per_atom': 2.0},
        'validation': {'force_rmse_eV_per_A': 1.0 / (generation + 1), 'energy_rmse_meV_per_atom': 9.0},
    }} for generation in range(3)]
    reference = np.linspace(-2.0, 2.0, 12)
    parity = {'force_reference': reference, 'force_predicted': reference + np.repeat([0.1, -0.3], 6),
              'force_element': np.repeat([3, 16], 6)}
    figure = plot_training_history(rows, parity, path=tmp_path / 'training.png')
    force_axes, _, parity_axes = figure.axes
    validation_line = force_axes.lines[1]
    np.testing.assert_allclose(validation_line.get_ydata(), [1.0, 0.5, 1 / 3])
    assert force_axes.get_yscale() == 'log'
    labels = [text.get_text() for text in parity_axes.get_legend().get_texts()]
    assert labels == ['Li (0.100 eV/$\\AA$)', 'S (0.300 eV/$\\AA$)']
    assert (tmp_path / 'training.png').read_bytes()[:4] == b'\x89PNG'


def test_random_search_explorer_keeps_dissimilar_cells_and_relaxes_them_with_the_gap(aiida_profile, tiny_gap_xml):
    from aiida_lps.data.gap_potential import GapPotentialData
    from aiida_lps.structures.crystals import get_crystal
    from aiida_lps.workflows.explorers import RandomSearchExplorer

    assert RandomSearchExplorer.validate({'n_generated': 2, 'n_selected': 3}) == \
        'explorer random_search: need 0 < n_selected <= n_generated'
    potential = GapPotentialData(tiny_gap_xml).store()
    structures = {'li3ps4': orm.StructureData(ase=get_crystal('gamma-Li3PS4'))}
    found = {}
    for relax_max_steps in (0, 3):
        settings = RandomSearchExplorer.settings({'type': 'random_search', 'n_generated': 6, 'n_selected': 2,
                                                  'formula_unit_choices': [1], 'relax_max_steps': relax_max_steps})
        assert RandomSearchExplorer.validate(settings) is None
        launched = RandomSearchExplorer.launch(None, structures, settings, potential, seed=3)
        found[relax_max_steps], failures = RandomSearchExplorer.collect(None, launched, settings)
        assert failures == {}
    assert sorted(found[0]) == ['random_search_li3ps4_0', 'random_search_li3ps4_1']
    assert sorted(found[3]) == sorted(found[0])
    for label, relaxed in found[3].items():
        assert relaxed.get_ase().get_chemical_formula() == 'Li3PS4'
        assert relaxed.creator.process_label == 'relax_with_potential'
        generated = relaxed.creator.inputs.structure
        assert generated.creator.process_label == 'random_structure_candidates'
        # the same seed draws the same cells: the relaxation started from the unrelaxed candidate
        np.testing.assert_allclose(generated.get_ase().positions, found[0][label].get_ase().positions)


@pytest.mark.requires_codes
def test_isolated_atom_energies_are_subtracted_in_every_fit(training_run):
    """The run labels isolated Li and S first; every GAP and SNAP fit receives their energies (eV) as inputs."""
    from ase import Atoms

    references = training_run.outputs.reference_energies
    assert set(references.keys()) == {'Li', 'S'}
    child = training_run.base.links.get_outgoing(link_label_filter='isolated_atom_energies').one().node
    assert child.outputs.reference_energies.uuid == references.uuid
    fits = [link.node for link in training_run.base.links.get_outgoing().all()
            if link.link_label.startswith(('gap_fit_gen_', 'snap_fit_gen_'))]
    assert len(fits) == 4  # a GAP and a SNAP in generations 0 and 1
    for fit in fits:
        link = fit.base.links.get_incoming(link_label_filter='%reference_energies').one()  # gap_fit__ for the GAP
        assert link.node.uuid == references.uuid
    calculator = training_run.outputs.potential.get_calculator()
    for element, energy in references.items():  # the GAP gives a lone atom its reference energy back
        atoms = Atoms(element, positions=[[10.0, 10.0, 10.0]], cell=[20.0, 20.0, 20.0], pbc=True)
        atoms.calc = calculator
        assert atoms.get_potential_energy() == pytest.approx(energy, abs=0.05)


@pytest.mark.requires_codes
def test_continuation_with_other_k_points_is_refused(training_run):
    """Labels of one run with Gamma-point settings must not be mixed with labels on a k-mesh."""
    builder = IterativeTrainingWorkChain.get_builder_continuation(training_run)
    builder.labelling.pw_base.kpoints_distance = orm.Float(0.3)
    with pytest.raises(ValueError, match=r'training_set: labels of TrainingSetData<\d+> were made with other '
                                         r'settings than this run would use \(kpoints_distance 100.0 there, 0.3 now'):
        run_get_node(builder)


def _family_with_changed_s(folder, label):
    """A pseudopotential family like the installed one whose S file has one more comment line."""
    from aiida.plugins import DataFactory, GroupFactory

    from aiida_lps.setup.quantum_espresso import CUTOFFS_RY, generate_pseudopotentials

    upf_folder = folder / 'upf'
    upf_folder.mkdir()
    for upf in generate_pseudopotentials(folder):
        text = upf.read_text()
        if upf.name.startswith('S.'):
            text = text.replace('<PP_INFO>', '<PP_INFO>\n    changed for a test', 1)
        (upf_folder / upf.name).write_text(text)
    family = GroupFactory('pseudo.family.cutoffs').create_from_folder(
        upf_folder, label, pseudo_type=DataFactory('pseudo.upf'))
    for stringency, cutoffs in CUTOFFS_RY.items():
        family.set_cutoffs({element: dict(cutoffs) for element in ('Li', 'P', 'S')}, stringency, unit='Ry')
    family.set_default_stringency('normal')
    return family


@pytest.mark.requires_codes
def test_continuation_with_other_pseudopotentials_is_refused(training_run, tmp_path):
    """A family whose S pseudopotential differs (one comment line) is named, with both md5 sums."""
    family = _family_with_changed_s(tmp_path, 'test/S-changed')
    builder = IterativeTrainingWorkChain.get_builder_continuation(training_run)
    builder.labelling.pseudo_family = orm.Str(family.label)
    with pytest.raises(ValueError, match=r'S pseudopotential md5 \w{32} there, \w{32} now') as refused:
        run_get_node(builder)
    assert 'Li pseudopotential' not in str(refused.value)


@pytest.mark.requires_codes
def test_labels_pseudo_family_gives_a_continuation_the_files_of_its_labels(training_run, tmp_path):
    """A machine whose ld1.x wrote other files (here: S changed) continues with the labels' own pseudopotentials."""
    from aiida.plugins import GroupFactory

    from aiida_lps.workflows.labelling import label_settings_mismatch, labels_pseudo_family

    training_set = training_run.outputs.training_set
    installed = training_run.inputs.labelling.pseudo_family.value
    assert labels_pseudo_family(training_set, installed) == installed
    other = _family_with_changed_s(tmp_path, 'test/ld1-elsewhere')
    label = labels_pseudo_family(training_set, other.label)
    assert label.startswith('test/ld1-elsewhere/') and labels_pseudo_family(training_set, other.label) == label
    # a continuation's input is the derived label, possibly of a family this profile never made
    assert labels_pseudo_family(training_set, label) == label
    assert labels_pseudo_family(training_set, f'{other.label}/0123abcd-4567ef01-89abcdef') == label
    family = GroupFactory('pseudo.family.cutoffs').collection.get(label=label)
    original = GroupFactory('pseudo.family.cutoffs').collection.get(label=installed)
    labelled = set(training_set.species)
    assert {p.element: p.uuid for p in family.nodes if p.element in labelled} == {
        p.element: p.uuid for p in original.nodes if p.element in labelled}
    assert {p.element: p.uuid for p in family.nodes if p.element not in labelled} == {
        p.element: p.uuid for p in other.nodes if p.element not in labelled}
    assert family.get_cutoffs('workstation') == other.get_cutoffs('workstation')
    builder = IterativeTrainingWorkChain.get_builder_continuation(training_run)
    builder.labelling.pseudo_family = orm.Str(label)
    assert label_settings_mismatch(training_set, builder.labelling) is None
