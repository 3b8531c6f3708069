"""``aiida-lps campaign``: a training campaign run in pieces that resume on any machine from a folder of archives.

A campaign folder holds ``campaign.json`` (the pieces so far) and one AiiDA archive per finished piece. ``next``
imports the archives, continues the last fully handed-over piece with ``get_builder_continuation`` and the labels of
the pieces after it (or starts the campaign) and submits the piece to the daemon. ``handover`` exports the finished
piece: the first one whole (its own nodes and the nodes it was given, ``create_backward`` off), later ones as their
labels only, so that the folder grows by the labels and not by a GAP xml of tens of MB per piece. ``salvage`` keeps
the labels of a piece stopped before it finished.
"""
from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

import click

STATE_FILE = 'campaign.json'
#: Library crystal -> (stage label, repetitions): cells of 24-42 atoms, cheap at the workstation k-spacing.
CAMPAIGN_CRYSTALS = {
    'beta-Li3PS4': ('beta_Li3PS4', (1, 1, 1)),
    'gamma-Li3PS4': ('gamma_Li3PS4', (2, 1, 1)),
    'alpha-Li3PS4': ('alpha_Li3PS4', (1, 1, 1)),
    'Li7P3S11': ('Li7P3S11', (1, 1, 1)),
    'Li4P2S6': ('Li4P2S6', (1, 1, 2)),
}
#: Perturbed copies labelled before the first fit and for the validation set: (copies, rattle A, max strain).
INITIAL_COPIES = (2, 0.10, 0.03)
VALIDATION_COPIES = (1, 0.20, 0.03)


def read_state(folder: Path) -> dict:
    path = folder / STATE_FILE
    return json.loads(path.read_text()) if path.exists() else {'pieces': []}


def write_state(folder: Path, state: dict) -> None:
    (folder / STATE_FILE).write_text(json.dumps(state, indent=2) + '\n')


def campaign_structures(seed: int) -> tuple[dict, dict, dict]:
    """Structures to explore, initial structures and validation structures (label -> StructureData)."""
    import numpy as np
    from aiida import orm

    from aiida_lps.structures.crystals import get_crystal
    from aiida_lps.structures.perturb import perturbed_copies

    rng = np.random.default_rng(seed)
    structures, initial, validation = {}, {}, {}
    for name, (label, repetitions) in CAMPAIGN_CRYSTALS.items():
        atoms = get_crystal(name).repeat(repetitions)
        structures[label] = orm.StructureData(ase=atoms)
        for target, prefix, (count, rattle, strain) in ((initial, 'initial', INITIAL_COPIES),
                                                        (validation, 'validation', VALIDATION_COPIES)):
            for index, copy in enumerate(perturbed_copies(atoms, count, rattle, strain, rng)):
                target[f'{prefix}_{label}_{index}'] = orm.StructureData(ase=copy)
    return structures, initial, validation


def unlabelled(structures: dict, labelled) -> dict:
    """The ``structures`` (label -> StructureData) whose label is not among the ``label`` tags of ``labelled``."""
    done = {tags.get('label') for tags in labelled.get_tags()} if labelled is not None else set()
    return {label: structure for label, structure in structures.items() if label not in done}


def first_piece_builder(protocol: str, seed: int, codes: dict, salvaged: dict):
    """Builder of the campaign's first run; with the ``salvaged`` labels of a first piece that was stopped
    (``salvage``) it starts from them and labels only the rest."""
    from aiida import orm

    from aiida_lps.workflows.training import IterativeTrainingWorkChain

    structures, initial, validation = campaign_structures(seed)
    sets = {label: orm.load_node(uuid) for label, uuid in salvaged.get('sets', {}).items()}
    training_set, validation_set = sets.get('label_initial_structures'), sets.get('label_validation_structures')
    builder = IterativeTrainingWorkChain.get_builder_from_protocol(
        codes['pw'], codes['gap_fit'], structures, lammps_code=codes['lmp'], protocol=protocol,
        overrides={'seed': seed}, initial_structures=unlabelled(initial, training_set),
        validation_structures=unlabelled(validation, validation_set), training_set=training_set,
        validation_set=validation_set,
    )
    if 'reference_energies' in salvaged:
        builder.gap_fit.reference_energies = orm.load_node(salvaged['reference_energies'])
    return builder


def _codes(pw_ranks: int) -> dict:
    """The CPU-slot codes of this profile's ``localhost`` (created when missing)."""
    from aiida import orm

    from aiida_lps.setup.profile import ensure_computer, ensure_queued_codes

    computer, _ = ensure_computer()
    folder = str(Path(computer.get_workdir()).parent / 'lps-cpu-slots')
    for line in ensure_queued_codes(computer, pw_ranks, folder):
        click.echo(f'  {line}')
    return {label: orm.load_code(f'{label}-queued@{computer.label}') for label in ('pw', 'gap_fit', 'lmp')}


def import_pieces(folder: Path, state: dict) -> None:
    """Import the archives of the pieces of ``state`` in order; nodes already in the profile are kept as they are."""
    from aiida.tools.archive import import_archive

    for piece in state['pieces']:
        if piece.get('archive'):
            import_archive(folder / piece['archive'], merge_extras=('k', 'n', 'l'))


def pw_cost(node) -> dict:
    """Count and CPU-hours (wall time x MPI ranks, from pw.x's own timing) of the PwCalculations below ``node``."""
    count, seconds = 0, 0.0
    for called in node.called_descendants:
        if called.process_type != 'aiida.calculations:quantumespresso.pw' or 'output_parameters' not in called.outputs:
            continue
        count += 1
        ranks = called.get_option('resources').get('num_machines', 1) * (
            called.get_option('resources').get('num_mpiprocs_per_machine') or 1)
        seconds += called.outputs.output_parameters.get('wall_time_seconds', 0.0) * ranks
    return {'n_pw': count, 'pw_cpu_hours': round(seconds / 3600, 2)}


#: Export rules of a piece: its own processes and data and the nodes it was given, not their history.
PIECE_EXPORT_RULES = {'create_backward': False, 'return_backward': False, 'call_calc_backward': False,
                      'call_work_backward': False}
FOLDER_ARGUMENT = click.argument('folder', type=click.Path(exists=True, file_okay=False, path_type=Path))
PROFILE_OPTION = click.option('-p', '--profile', default=None,
                              help='AiiDA profile with a daemon (PostgreSQL + RabbitMQ); default: the default profile.')


@click.group('campaign')
def campaign():
    """A training campaign in pieces (daemon, archives in a folder): `next` submits one, `handover` exports it."""


@campaign.command('next')
@click.argument('folder', type=click.Path(file_okay=False, path_type=Path))
@click.option('--protocol', default='workstation', show_default=True, help='Training protocol of a new campaign.')
@click.option('--generations', default=1, show_default=True, help='Generations of this piece (then it pauses).')
@click.option('--pw-ranks', default=2, show_default=True, help='MPI ranks of each pw.x job.')
@click.option('--max-labels', type=click.IntRange(min=1), default=None,
              help='At most this many labels per generation of this piece (the selectors\' count capped), so that '
              'the piece ends within its allocation; default: the protocol\'s counts.')
@click.option('--seed', default=1, show_default=True, help='Seed of a new campaign.')
@PROFILE_OPTION
def next_piece(folder, protocol, generations, pw_ranks, max_labels, seed, profile):
    """Import FOLDER's archives and submit the next piece of its campaign to the daemon."""
    from aiida import load_profile, orm
    from aiida.common.exceptions import NotExistent
    from aiida.engine import submit

    from aiida_lps.workflows.labelling import labels_pseudo_family
    from aiida_lps.workflows.stages import with_label_cap
    from aiida_lps.workflows.training import IterativeTrainingWorkChain

    load_profile(profile, allow_switch=True)
    folder.mkdir(parents=True, exist_ok=True)
    state = read_state(folder)
    import_pieces(folder, state)
    codes = _codes(pw_ranks)
    last = state['pieces'][-1] if state['pieces'] else {}
    if last and not last.get('archive'):
        try:
            node = orm.load_node(last['uuid'])
        except NotExistent:
            raise click.ClickException(f'piece {last["index"]} ({last["uuid"]}) has no archive and is not in this '
                                       'profile: it was lost with its machine; remove it from campaign.json')
        raise click.ClickException(f'piece {last["index"]} is {node.process_state.value}: wait for it and run '
                                   '`aiida-lps campaign handover` (or `salvage` to stop it) first')
    if handed_over(state):
        # the stages and GAP settings of the campaign's protocol as installed now: a piece resumes in the stages by
        # name and refits the GAP first if its settings changed
        protocol_inputs = IterativeTrainingWorkChain.get_protocol_inputs(state['protocol'])
        builder = continuation_builder(state, protocol_inputs['stages'],
                                       IterativeTrainingWorkChain.gap_fit_settings(protocol_inputs))
    else:
        state.setdefault('protocol', protocol)
        state.setdefault('seed', seed)
        state.setdefault('started', _now())
        builder = first_piece_builder(state['protocol'], state['seed'], codes, last.get('salvaged', {}))
    if 'training_set' in builder:  # new labels with the files of the old ones, which travel in the archives
        builder.labelling.pseudo_family = orm.Str(
            labels_pseudo_family(builder.training_set, builder.labelling.pseudo_family.value))
        state['pseudo_family'] = builder.labelling.pseudo_family.value
    builder.labelling.pw_base.pw.code = codes['pw']
    builder.labelling.pw_base.pw.metadata.options.resources = {'num_machines': 1, 'num_mpiprocs_per_machine': pw_ranks}
    builder.gap_fit.code = codes['gap_fit']
    builder.lammps_code = codes['lmp']
    builder.max_generations_per_run = orm.Int(generations)
    if max_labels:
        builder.stages = orm.List(with_label_cap(builder.stages.get_list(), max_labels))
    node = submit(builder)
    index = len(state['pieces']) + 1
    state['pieces'].append({'index': index, 'uuid': node.uuid, 'submitted': _now(), 'generations': generations})
    write_state(folder, state)
    click.echo(f'piece {index}: submitted IterativeTrainingWorkChain<{node.pk}> ({node.uuid}); follow it with '
               f'`verdi process report {node.pk}`, then run `aiida-lps campaign handover {folder}`')


def continuation_builder(state: dict, stages: list | None = None, gap_fit_settings: dict | None = None):
    """Builder continuing the last fully handed-over piece of ``state``, given the labels of every piece after it
    (salvaged, or handed over as labels only) and the table of generations of the last of those that finished: it
    refits the GAP to them, then resumes where that piece paused.

    :param stages: stage definitions (default: those of the piece continued).
    :param gap_fit_settings: ``gap_fit`` inputs ``parameters`` and ``force_sigma`` (default: those of the piece).
    """
    from aiida import orm

    from aiida_lps.calculations.functions.concatenate_training_sets import concatenate_training_sets
    from aiida_lps.workflows.training import IterativeTrainingWorkChain

    base = handed_over(state)[-1]
    node = orm.load_node(base['uuid'])
    if 'potential' not in node.outputs:
        raise click.ClickException(f'piece {base["index"]} ended without a potential (exit {node.exit_status}: '
                                   f'{node.exit_message}): fix the cause, then remove it from campaign.json')
    builder = IterativeTrainingWorkChain.get_builder_continuation(node, stages=stages)
    if gap_fit_settings is not None:
        builder.gap_fit.pop('force_sigma', None)
        builder.gap_fit.update(gap_fit_settings)
    later = state['pieces'][base['index']:]
    sets = labels_since(state, base['index'])
    if sets:
        builder.training_set = concatenate_training_sets(
            **{f'set_{index}': labels for index, labels in enumerate([builder.training_set, *sets])})
        click.echo(f'{sum(labels.num_structures for labels in sets)} labels of the pieces after piece '
                   f'{base["index"]} join its training set (candidates identical to them are not labelled again)')
    paused = [piece for piece in later if piece.get('labels')]
    if paused:
        expected = paused[-1].get('n_training')
        if expected is not None and builder.training_set.num_structures < expected:
            raise click.ClickException(f'piece {paused[-1]["index"]} ended with {expected} configurations but the '
                                       f'archives give {builder.training_set.num_structures}: a labels-only archive '
                                       'misses some of its labels; hand it over again with `--full`')
        builder.previous_rmse_table = orm.load_node(paused[-1]['labels']['rmse_table'])
    return builder


def labels_since(state: dict, index: int) -> list:
    """The training sets of the pieces of ``state`` after piece ``index`` that were salvaged or handed over as labels
    only (not their validation labels), in piece order: a continuation of piece ``index`` adds them to its training
    set."""
    from aiida import orm

    return [orm.load_node(uuid) for piece in state['pieces'][index:]
            for label, uuid in sorted((piece.get('salvaged') or piece.get('labels') or {}).get('sets', {}).items())
            if label != 'label_validation_structures']


def handed_over(state: dict) -> list[dict]:
    """The pieces of ``state`` that ``handover --full`` exported with their GAP (finished runs with all outputs)."""
    return [piece for piece in state['pieces']
            if piece.get('archive') and not piece.get('salvaged') and not piece.get('labels')]


def open_piece(state: dict, message: str) -> tuple:
    """The last piece of ``state`` not yet exported, and its node; ``message`` is the error when there is none."""
    from aiida import orm

    if not state['pieces'] or state['pieces'][-1].get('archive'):
        raise click.ClickException(message)
    return state['pieces'][-1], orm.load_node(state['pieces'][-1]['uuid'])


@campaign.command('handover')
@FOLDER_ARGUMENT
@click.option('--full', is_flag=True, help='Export the piece with its GAPs and exploration (tens of MB), e.g. to ship '
              'it; by default a finished continuation is handed over as its labels only.')
@PROFILE_OPTION
def handover(folder, full, profile):
    """Export the finished last piece of FOLDER's campaign to an archive in FOLDER and record it.

    A piece that continued a fully handed-over one and finished is exported as its labels only (its labellings with
    their pw.x runs, its table of generations; about 0.13 MB per label): the next piece refits the GAP to them (a
    minute or so). The first piece, a piece that failed, or any piece with ``--full``, is exported whole: the piece
    and the nodes it was given (the GAP's xml is most of it)."""
    from aiida import load_profile
    from aiida.tools.archive import create_archive

    load_profile(profile, allow_switch=True)
    state = read_state(folder)
    piece, node = open_piece(state, 'no piece to hand over: run `aiida-lps campaign next` first')
    if not node.is_terminated:
        raise click.ClickException(f'piece {piece["index"]} (pk {node.pk}) is still {node.process_state.value}')
    table = node.outputs.rmse_table.get_dict() if 'rmse_table' in node.outputs else {}
    if full or not handed_over(state) or not node.is_finished_ok:
        archive = f'piece_{piece["index"]:02d}.aiida'
        create_archive([node], folder / archive, overwrite=True, **PIECE_EXPORT_RULES)
    else:
        archive = f'piece_{piece["index"]:02d}_labels.aiida'
        labels = salvage_labels(node)
        create_archive([*salvage_export_nodes(labels), node.outputs.rmse_table], folder / archive, overwrite=True,
                       **PIECE_EXPORT_RULES)
        piece['labels'] = {'sets': {label: set_.uuid for label, set_ in labels['sets'].items()},
                           'n_labels': {label: set_.num_structures for label, set_ in labels['sets'].items()},
                           'rmse_table': node.outputs.rmse_table.uuid}
    piece.update(archive=archive, finished=node.mtime.isoformat(timespec='seconds'), exit_status=node.exit_status,
                 exit_message=node.exit_message, paused=table.get('paused'),
                 archive_MB=round((folder / archive).stat().st_size / 1e6, 2), **pw_cost(node))
    if 'training_set' in node.outputs:
        piece['n_training'] = node.outputs.training_set.num_structures
    write_state(folder, state)
    click.echo(json.dumps(piece, indent=2))


def salvage_labels(node) -> dict:
    """What an unfinished training run ``node`` labelled, as nodes: ``reference_energies`` (if its isolated atoms
    finished), per labelling it started (by call link label, e.g. ``label_initial_structures``) a TrainingSetData
    of its finished pw.x labels in ``sets`` (``training_set_from_pw`` over their outputs, so the provenance leads to
    the pw.x runs), and in ``processes`` those labellings and the isolated-atom work chain."""
    from aiida.common.links import LinkType

    from aiida_lps.calculations.functions.training_set_from_pw import training_set_from_pw

    salvaged = {'sets': {}, 'processes': []}
    for link in node.base.links.get_outgoing(link_type=LinkType.CALL_WORK).all():
        child = link.node
        if link.link_label == 'isolated_atom_energies':
            salvaged['processes'].append(child)
            if child.is_finished_ok:
                salvaged['reference_energies'] = child.outputs.reference_energies
            continue
        if not link.link_label.startswith('label_'):
            continue
        salvaged['processes'].append(child)
        if child.is_finished_ok:
            salvaged['sets'][link.link_label] = child.outputs.training_set
            continue
        kwargs = {}
        for pw_link in child.base.links.get_outgoing(link_type=LinkType.CALL_WORK).all():
            pw_base = pw_link.node
            if pw_base.is_finished_ok:
                label = pw_link.link_label.removeprefix('pw_')
                kwargs.update({f'structure_{label}': pw_base.inputs.pw.structure,
                               f'parameters_{label}': pw_base.outputs.output_parameters,
                               f'trajectory_{label}': pw_base.outputs.output_trajectory})
        if kwargs:
            if 'tags' in child.inputs:
                kwargs['tags'] = child.inputs.tags
            salvaged['sets'][link.link_label] = training_set_from_pw(**kwargs)
    return salvaged


def salvage_export_nodes(salvaged: dict) -> list:
    """What a salvage archive holds (``salvage_labels``): the labellings with their pw.x runs, the salvaged sets with
    the calcfunctions that made them, the reference energies. Not the stopped piece itself: its inputs include the
    GAP it was given (tens of MB of xml, already in the previous piece's archive)."""
    nodes = [*salvaged['processes'], *salvaged['sets'].values()]
    nodes += [*{set_.creator for set_ in salvaged['sets'].values()}]
    if 'reference_energies' in salvaged:
        nodes.append(salvaged['reference_energies'])
    return nodes


@campaign.command('salvage')
@FOLDER_ARGUMENT
@PROFILE_OPTION
def salvage(folder, profile):
    """Keep what the unfinished last piece of FOLDER's campaign labelled (when its allocation ends): kill it,
    gather its finished pw.x labels into training sets and export them with their labellings and pw.x runs (not the
    piece's MD or the GAP it was given). The next piece appends them to its training set; a campaign that has not
    finished its first piece starts from them and labels only the rest."""
    from aiida import load_profile
    from aiida.engine.processes.control import kill_processes
    from aiida.tools.archive import create_archive

    load_profile(profile, allow_switch=True)
    state = read_state(folder)
    piece, node = open_piece(state, 'no unfinished piece to salvage')
    if not node.is_terminated:
        kill_processes([node], timeout=120.0)

    def sealed():  # an archive holds only sealed processes; killing reaches the children one by one
        return all(process.is_sealed for process in (node, *node.called_descendants))

    waited = 0
    while not sealed() and waited < 600:
        time.sleep(5)
        waited += 5
    if not sealed():
        raise click.ClickException(f'piece {piece["index"]} (pk {node.pk}) or its children did not stop within 10 '
                                   'minutes: is the daemon running? Run salvage again when `verdi process list` is '
                                   'empty')
    salvaged = salvage_labels(node)
    archive = f'piece_{piece["index"]:02d}_salvaged.aiida'
    create_archive(salvage_export_nodes(salvaged), folder / archive, overwrite=True, **PIECE_EXPORT_RULES)
    piece.update(archive=archive, exit_status=None, exit_message='salvaged after it was stopped',
                 salvaged={'sets': {label: set_.uuid for label, set_ in salvaged['sets'].items()},
                           'n_labels': {label: set_.num_structures for label, set_ in salvaged['sets'].items()},
                           **({'reference_energies': salvaged['reference_energies'].uuid}
                              if 'reference_energies' in salvaged else {})},
                 archive_MB=round((folder / archive).stat().st_size / 1e6, 2), **pw_cost(node))
    write_state(folder, state)
    click.echo(json.dumps(piece, indent=2))


@campaign.command('ship')
@FOLDER_ARGUMENT
@click.argument('name')
@click.option('--description', required=True, help='One line: what the potential is, from which campaign.')
@click.option('--max-gap-mb', default=10.0, show_default=True,
              help='A GAP larger than this is not shipped but refitted at import from the shipped training set.')
@click.option('--into', type=click.Path(file_okay=False, path_type=Path), default=None,
              help='Catalogue folder (default: the package\'s aiida_lps/data/shipped).')
@PROFILE_OPTION
def ship_campaign(folder, name, description, max_gap_mb, into, profile):
    """Ship the last handed-over piece of FOLDER's campaign as NAME: its training and validation sets, reference
    energies and fast potentials with their provenance, and its GAP (or the parameters to refit it)."""
    from aiida import load_profile, orm

    from aiida_lps.cli.potentials import SHIPPED_FOLDER, ship
    from aiida_lps.data.gap_potential import FILENAME
    from aiida_lps.workflows.training import side_fitters

    load_profile(profile, allow_switch=True)
    state = read_state(folder)
    finished = handed_over(state)
    if not finished:
        raise click.ClickException('no handed-over piece to ship')
    if labels_since(state, finished[-1]['index']):
        raise click.ClickException(f'the pieces after piece {finished[-1]["index"]} were handed over as labels only: '
                                   'run one more piece (`next --generations 0` only refits) and hand it over with '
                                   '`--full` to ship its GAP')
    node = orm.load_node(finished[-1]['uuid'])
    roles = ('training_set', 'validation_set', 'reference_energies', *(f'{kind}_potential' for kind in side_fitters()))
    nodes = {role: node.outputs[role] for role in roles if role in node.outputs}
    gap = node.outputs.potential
    size_mb = len(gap.base.repository.get_object_content(FILENAME, mode='rb')) / 1e6
    refit = None
    if size_mb > max_gap_mb:
        fit = gap.creator
        refit = {'parameters': fit.inputs.parameters.get_dict(), 'seed': fit.inputs.seed.value,
                 'shipped_gap_uuid_not_included': gap.uuid, 'gap_xml_MB': round(size_mb, 1)}
    else:
        nodes['gap'] = gap
    entry = ship(into or SHIPPED_FOLDER, name, description, nodes, gap_refit=refit)
    click.echo(json.dumps(entry, indent=2))


def generation_table(rows: list) -> list[str]:
    """Markdown lines: per generation of an ``rmse_table``, its stage, labels and force RMSEs (eV/A) on the
    generation's new labels before they were fitted (the previous GAP on held-out snapshots of its own exploration)
    and on the validation set, by element and by motif, and the validation energy RMSE (meV/atom)."""
    def forces(metrics: dict) -> str:
        if not metrics.get('force_rmse_eV_per_A'):
            return '-'
        groups = {**metrics.get('force_rmse_by_element', {}), **metrics.get('force_rmse_by_motif', {})}
        return f'{metrics["force_rmse_eV_per_A"]:.3f} (' + ', '.join(
            f'{group} {value:.2f}' for group, value in sorted(groups.items())) + ')'

    lines = ['| generation | stage | labelled | training set | new labels, previous GAP: force RMSE | validation: '
             'force RMSE | validation energy RMSE (meV/atom) |', '|---|---|---|---|---|---|---|']
    for row in rows:
        rmse = row.get('rmse', {})
        energy = rmse.get('validation', {}).get('energy_rmse_meV_per_atom')
        labelled = row.get('n_labelled', sum(counts['n_labelled'] for key, counts in row.items()
                                             if key.endswith('_structures') and isinstance(counts, dict)))
        lines.append(f'| {row["generation"]} | {row["stage"]} | {labelled} | {row.get("n_training", "-")} | '
                     f'{forces(rmse.get("new_labels_old_potential", {}))} | {forces(rmse.get("validation", {}))} | '
                     f'{"-" if energy is None else f"{energy:.1f}"} |')
    return lines


@campaign.command('status')
@FOLDER_ARGUMENT
@PROFILE_OPTION
def status(folder, profile):
    """The pieces of FOLDER's campaign and, from its last handed-over piece, the table of generations (markdown)."""
    from aiida import load_profile

    load_profile(profile, allow_switch=True)
    state = read_state(folder)
    click.echo('| piece | node | exit | paused in | training set | pw.x runs | pw.x CPU-h | archive (MB) |')
    click.echo('|---|---|---|---|---|---|---|---|')
    for piece in state['pieces']:
        paused = piece.get('paused') or {}
        state_text = 'salvaged' if piece.get('salvaged') else piece.get('exit_status', 'running')
        if piece.get('labels'):
            state_text = f'{state_text} (labels only)'
        click.echo(f'| {piece["index"]} | {piece["uuid"][:8]} | {state_text} | '
                   f'{paused.get("stage", "-")} | {piece.get("n_training", "-")} | {piece.get("n_pw", "-")} | '
                   f'{piece.get("pw_cpu_hours", "-")} | {piece.get("archive_MB", "-")} |')
    table = latest_rmse_table(state)
    if table is not None:
        click.echo('')
        for line in generation_table(table['generations']):
            click.echo(line)


def latest_rmse_table(state: dict):
    """The table of generations (Dict) of the last piece of ``state`` handed over with one, or None."""
    from aiida import orm
    from aiida.common.exceptions import NotExistent

    whole = handed_over(state)
    for piece in reversed(state['pieces']):
        try:
            if piece.get('labels'):
                return orm.load_node(piece['labels']['rmse_table'])
            if piece in whole:
                node = orm.load_node(piece['uuid'])
                if 'rmse_table' in node.outputs:
                    return node.outputs.rmse_table
        except NotExistent:
            raise click.ClickException(f'piece {piece["index"]} is not in this profile: `aiida-lps campaign next` '
                                       'imports the archives')
    return None


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')
