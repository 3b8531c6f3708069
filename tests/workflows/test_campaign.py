"""A campaign in pieces: a paused run, one incremental archive per piece, a resume in a fresh profile."""
import pytest
from aiida import orm
from aiida.engine import run_get_node
from aiida.tools.archive.abstract import get_format
from click.testing import CliRunner
from li2s_cells import li2s

from aiida_lps import query
from aiida_lps.cli.campaign import (PIECE_EXPORT_RULES, continuation_builder, handover, import_pieces, labels_since,
                                    read_state, salvage_export_nodes, salvage_labels, ship_campaign, status, unlabelled,
                                    write_state)
from aiida_lps.cli.potentials import read_catalogue
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.workflows.stages import resume_point
from aiida_lps.workflows.training import IterativeTrainingWorkChain

MORE_PERTURBATIONS = {
    'name': 'more',
    'explorers': [{'type': 'perturb', 'count_per_structure': 1, 'rattle_A': 0.1, 'max_strain': 0.02}],
    'selector': {'method': 'all'},
    'max_generations': 3,
    'patience': 3,
}


def _pw_uuids(training_set) -> set:
    return {source.calculation.uuid for source in query.training_set_lineage(training_set).sources}


def _hand_over(folder, uuid, profile_name, *options):
    state = read_state(folder)
    state['pieces'].append({'index': len(state['pieces']) + 1, 'uuid': uuid})
    write_state(folder, state)
    result = CliRunner().invoke(handover, [str(folder), *options, '-p', profile_name])
    assert result.exit_code == 0, result.output
    return read_state(folder)['pieces'][-1]


def _archived(path) -> set:
    with get_format().open(path, 'r') as reader:
        return set(reader.querybuilder().append(orm.Node, project='uuid').all(flat=True))


@pytest.fixture(scope='module')
def continued_piece_pk(training_run_pk):
    """PK of a one-generation continuation (stage ``more``, then paused) of the session's training run."""
    builder = IterativeTrainingWorkChain.get_builder_continuation(orm.load_node(training_run_pk),
                                                                  stages=[MORE_PERTURBATIONS])
    builder.max_generations_per_run = orm.Int(1)
    _, piece = run_get_node(builder)
    assert piece.is_finished_ok, piece.exit_message
    return piece.pk


@pytest.mark.requires_codes
def test_a_paused_piece_is_handed_over_and_resumed_from_its_archives_alone(
    training_run, continued_piece_pk, aiida_profile, aiida_config_factory, aiida_profile_factory, tmp_path
):
    piece = orm.load_node(continued_piece_pk)
    results = piece.outputs
    table = results['rmse_table'].get_dict()
    assert table['paused'] == {'stage': 'more', 'after_generation': 2}
    assert [row['generation'] for row in table['generations']] == [0, 1, 2]  # both runs' generations
    pw_first, pw_both = _pw_uuids(training_run.outputs.training_set), _pw_uuids(results['training_set'])
    assert pw_first < pw_both

    folder = tmp_path / 'campaign'
    folder.mkdir()
    first = _hand_over(folder, training_run.uuid, aiida_profile.name)
    second = _hand_over(folder, piece.uuid, aiida_profile.name, '--full')
    assert second['paused'] == table['paused'] and second['n_pw'] == 1 and second['exit_status'] == 0
    # each archive holds its own piece: the second only the nodes the first handed it, none of its pw.x runs
    archived = _archived(folder / second['archive'])
    assert training_run.outputs.training_set.uuid in archived
    assert not pw_first & archived and pw_both - pw_first <= archived
    assert first['n_pw'] >= 3  # isolated atoms, initial, validation and generation-1 labels
    piece_uuid, first_set_uuid = piece.uuid, training_run.outputs.training_set.uuid
    # shipping the last piece: its sets, reference energies and SNAP; its GAP refitted at import (above --max-gap-mb)
    shipped = CliRunner().invoke(ship_campaign, [str(folder), 'tiny', '--description', 'test', '--max-gap-mb', '0',
                                                 '--into', str(tmp_path / 'shipped'), '-p', aiida_profile.name])
    assert shipped.exit_code == 0, shipped.output
    entry = read_catalogue(tmp_path / 'shipped')['tiny']
    assert entry['nodes']['training_set'] == results['training_set'].uuid
    assert set(entry['nodes']) == {'training_set', 'validation_set', 'reference_energies', 'snap_potential'}
    assert entry['gap_refit']['parameters'] == piece.inputs.gap_fit.parameters.get_dict()
    summary = CliRunner().invoke(status, [str(folder), '-p', aiida_profile.name])
    assert summary.exit_code == 0, summary.output
    assert f'| 2 | {piece.uuid[:8]} | 0 | more |' in summary.output  # the pieces ...
    assert '| 0 | start | 2 |' in summary.output and '| 2 | more | 1 |' in summary.output  # ... and the generations
    generation_2 = next(line for line in summary.output.splitlines() if line.startswith('| 2 | more | 1 |'))
    # its new label before the fit (previous GAP) and the validation set, by element and by motif
    assert generation_2.count('S in S^2- ') == 2, generation_2

    with aiida_config_factory(tmp_path / 'fresh') as config, aiida_profile_factory(config):
        import_pieces(folder, read_state(folder))
        count = orm.QueryBuilder().append(orm.Node).count()
        import_pieces(folder, read_state(folder))  # importing again changes nothing
        assert orm.QueryBuilder().append(orm.Node).count() == count
        imported = orm.load_node(piece_uuid)
        # the provenance is joined across the archives: every label traces back to its pw.x run
        assert imported.inputs.training_set.uuid == first_set_uuid
        assert _pw_uuids(imported.outputs.training_set) == pw_both
        continuation = IterativeTrainingWorkChain.get_builder_continuation(imported)
        rows = continuation.previous_rmse_table['generations']
        assert resume_point(continuation.stages.get_list(), rows)[0] == 0  # resumes in stage `more` ...
        assert len(resume_point(continuation.stages.get_list(), rows)[1]) == 2  # ... after its one generation


@pytest.mark.requires_codes
def test_a_continued_piece_is_handed_over_as_its_labels_and_the_next_piece_resumes_from_them(
    training_run, continued_piece_pk, aiida_profile, aiida_config_factory, aiida_profile_factory, tmp_path
):
    """After a full first piece, a finished piece is exported as its labels with their pw.x runs and its table of
    generations, without its GAPs; the next piece, from the archives alone, has the piece's training set (refitted,
    as the GAP it is given was fitted to less) and resumes where the piece paused."""
    piece = orm.load_node(continued_piece_pk)
    folder = tmp_path / 'campaign'
    folder.mkdir()
    first = _hand_over(folder, training_run.uuid, aiida_profile.name)
    second = _hand_over(folder, piece.uuid, aiida_profile.name)
    assert first['archive'] == 'piece_01.aiida' and second['archive'] == 'piece_02_labels.aiida'
    assert second['labels']['rmse_table'] == piece.outputs.rmse_table.uuid and second['labels']['n_labels'] == {
        'label_gen_2': 1}
    archived = _archived(folder / second['archive'])
    pw_first, pw_both = _pw_uuids(training_run.outputs.training_set), _pw_uuids(piece.outputs.training_set)
    assert pw_both - pw_first <= archived and not pw_first & archived
    gaps = set(orm.QueryBuilder().append(GapPotentialData, project='uuid').all(flat=True))
    assert piece.uuid not in archived and not gaps & archived
    # its GAP is not in the folder: shipping needs a piece handed over with --full
    shipped = CliRunner().invoke(ship_campaign, [str(folder), 'tiny', '--description', 'test', '--into',
                                                 str(tmp_path / 'shipped'), '-p', aiida_profile.name])
    assert shipped.exit_code != 0 and 'labels only' in shipped.output
    rows, n_training = piece.outputs.rmse_table['generations'], piece.outputs.training_set.num_structures
    given_gap, piece_uuid = training_run.outputs.potential.uuid, piece.uuid

    with aiida_config_factory(tmp_path / 'fresh') as config, aiida_profile_factory(config) as fresh:
        state = read_state(folder)
        import_pieces(folder, state)
        builder = continuation_builder(state, stages=[MORE_PERTURBATIONS])
        assert builder.training_set.num_structures == n_training
        assert _pw_uuids(builder.training_set) == pw_both  # every label back to its pw.x run
        assert builder.previous_rmse_table['generations'] == rows
        index, history = resume_point(builder.stages.get_list(), rows)
        assert index == 0 and len(history) == 2  # resumes in stage `more` after its one generation
        assert builder.potential.uuid == given_gap  # fitted to fewer configurations: refitted first
        summary = CliRunner().invoke(status, [str(folder), '-p', fresh.name])
        assert summary.exit_code == 0, summary.output
        assert f'| 2 | {piece_uuid[:8]} | 0 (labels only) | more |' in summary.output
        assert '| 2 | more | 1 |' in summary.output  # the generations of the labels-only piece's table


@pytest.mark.requires_codes
def test_salvaged_labels_seed_a_new_run_that_labels_only_the_rest(training_run, tmp_path):
    from aiida.tools.archive import create_archive

    salvaged = salvage_labels(training_run)
    assert salvaged['reference_energies'].uuid == training_run.outputs.reference_energies.uuid
    assert set(salvaged['sets']) == {'label_initial_structures', 'label_validation_structures', 'label_gen_1'}
    # the salvage archive: the labels back to their pw.x runs, not the piece, its GAPs or its exploration
    create_archive(salvage_export_nodes(salvaged), tmp_path / 'salvaged.aiida', **PIECE_EXPORT_RULES)
    with get_format().open(tmp_path / 'salvaged.aiida', 'r') as reader:
        archived = {uuid for uuid, in reader.querybuilder().append(orm.Node, project='uuid').all()}
    assert all(_pw_uuids(labels) <= archived for labels in salvaged['sets'].values())
    assert training_run.uuid not in archived
    gaps = {uuid for uuid, in orm.QueryBuilder().append(GapPotentialData, project='uuid').all()}
    assert gaps and not archived & gaps
    validation = salvaged['sets']['label_validation_structures']
    assert unlabelled({'li2s_v': li2s(3), 'li2s_w': li2s(4)}, validation).keys() == {'li2s_w'}

    # a run given a (salvaged) validation set and the validation structures still to label appends them to it
    builder = IterativeTrainingWorkChain.get_builder_continuation(training_run, stages=[MORE_PERTURBATIONS])
    for name in ('potential', 'previous_rmse_table'):
        builder.pop(name)
    builder.validation_set = validation
    builder.validation_structures = {'li2s_w': li2s(4)}
    builder.max_generations_per_run = orm.Int(0)
    results, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    assert [tags['label'] for tags in results['validation_set'].get_tags()] == ['li2s_v', 'li2s_w']
    assert results['rmse_table']['paused'] == {'stage': 'more', 'after_generation': 1}


@pytest.mark.requires_codes
def test_a_continuation_given_labels_its_gap_was_not_fitted_to_refits_it_first(training_run):
    """A piece that appends a salvaged piece's labels (here: the run's own generation-1 labels once more) refits the
    GAP to them before it explores, and says so in its table."""
    from aiida_lps.calculations.functions.concatenate_training_sets import concatenate_training_sets

    builder = IterativeTrainingWorkChain.get_builder_continuation(training_run, stages=[MORE_PERTURBATIONS])
    salvaged = salvage_labels(training_run)['sets']['label_gen_1']
    builder.training_set = concatenate_training_sets(set_0=builder.training_set, set_1=salvaged)
    builder.max_generations_per_run = orm.Int(0)
    results, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    fit = node.base.links.get_outgoing(link_label_filter='gap_fit_gen_1').one().node
    assert fit.process_label == 'GapFitBaseWorkChain' and fit.is_finished_ok
    assert results['potential'].uuid != training_run.outputs.potential.uuid
    assert results['potential'].creator.inputs.training_set.uuid == builder.training_set.uuid
    rows = results['rmse_table']['generations']
    assert rows[:-1] == training_run.outputs.rmse_table['generations']
    assert rows[-1]['stage'] == 'refit' and rows[-1]['n_training'] == builder.training_set.num_structures


@pytest.mark.requires_codes
def test_a_continuation_with_other_gap_settings_refits_first(training_run):
    """A piece whose protocol's GAP settings changed since the last piece (here the SOAP signal variance) refits the
    GAP with them before it explores; the same settings keep the GAP (the other tests of this file)."""
    builder = IterativeTrainingWorkChain.get_builder_continuation(training_run, stages=[MORE_PERTURBATIONS])
    parameters = builder.gap_fit.parameters.get_dict()
    parameters.setdefault('soap', {})['delta'] = 0.5
    builder.gap_fit.parameters = orm.Dict(parameters)
    builder.max_generations_per_run = orm.Int(0)
    results, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    assert results['rmse_table']['generations'][-1]['stage'] == 'refit'
    fit = node.base.links.get_outgoing(link_label_filter='gap_fit_gen_1').one().node
    assert fit.inputs.gap_fit.parameters['soap']['delta'] == 0.5
    assert results['potential'].creator.caller.uuid == fit.uuid


@pytest.mark.requires_codes
def test_labels_salvaged_after_the_last_finished_piece_are_named_for_its_continuation(training_run):
    """Pieces after the last handed-over one that were salvaged give their generation labels (not validation)."""
    sets = {label: labels.uuid for label, labels in salvage_labels(training_run)['sets'].items()}
    state = {'pieces': [{'index': 1, 'uuid': training_run.uuid, 'archive': 'piece_01.aiida'},
                        {'index': 2, 'uuid': 'stopped', 'archive': 'piece_02_salvaged.aiida',
                         'salvaged': {'sets': sets}},
                        {'index': 3, 'uuid': 'stopped too', 'archive': 'piece_03_salvaged.aiida',
                         'salvaged': {'sets': {'label_gen_1': sets['label_gen_1']}}}]}
    assert [labels.uuid for labels in labels_since(state, 1)] == [
        sets['label_gen_1'], sets['label_initial_structures'], sets['label_gen_1']]
    assert [labels.uuid for labels in labels_since(state, 2)] == [sets['label_gen_1']]
    assert labels_since(state, 3) == []
