"""``aiida-lps potentials``: the potentials shipped with aiida-lps, and their import into the current profile.

A shipped potential is an AiiDA archive in ``aiida_lps/data/shipped`` (its DFT-labelled training set with the
provenance back to the pw.x calculations, and the potentials fitted to it) named in ``catalogue.json``. A GAP whose
XML is too large to ship is refitted from the shipped training set at import, with the parameters the catalogue
records.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import click

SHIPPED_FOLDER = Path(__file__).resolve().parent.parent / 'data' / 'shipped'
CATALOGUE_FILE = 'catalogue.json'
GROUP_PREFIX = 'aiida-lps/potentials/'


def read_catalogue(folder: Path) -> dict:
    """Name -> entry (``archive``, ``description``, ``nodes``: role -> UUID, optional ``gap_refit``)."""
    path = folder / CATALOGUE_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def archive_problem(path: Path, nodes: dict) -> str | None:
    """Why ``path`` is not the archive holding ``nodes`` (role -> UUID), or None."""
    from aiida.tools.archive.abstract import get_format

    if not path.exists():
        return f'{path} is missing: reinstall aiida-lps'
    try:
        with get_format().open(path, 'r') as reader:
            from aiida import orm

            held = set(reader.querybuilder().append(orm.Node, filters={'uuid': {'in': list(nodes.values())}},
                                                    project='uuid').all(flat=True))
    except Exception as exception:  # any failure to read is the same problem to the user
        return f'{path} is not a readable AiiDA archive ({type(exception).__name__}: {exception}): reinstall aiida-lps'
    missing = {role: uuid for role, uuid in nodes.items() if uuid not in held}
    if missing:
        return (f'{path} is not the archive the catalogue names: it lacks the nodes {missing}; reinstall aiida-lps or '
                'fix the catalogue')
    return None


def refit_gap(entry: dict, code, group) -> tuple:
    """The GAP fitted to the shipped training set with the catalogue's parameters (reused if the group has it)."""
    from aiida import orm
    from aiida.engine import run_get_node

    from aiida_lps.calculations.gap_fit import GapFitCalculation

    existing = [node for node in group.nodes if node.base.extras.get('shipped_role', None) == 'gap']
    if existing:
        return existing[0], None
    refit = entry['gap_refit']
    inputs = {'code': code, 'training_set': orm.load_node(entry['nodes']['training_set']),
              'parameters': orm.Dict(refit['parameters']), 'seed': orm.Int(refit.get('seed', 1))}
    if 'reference_energies' in entry['nodes']:
        inputs['reference_energies'] = orm.load_node(entry['nodes']['reference_energies'])
    start = time.monotonic()
    results, node = run_get_node(GapFitCalculation, **inputs)
    if not node.is_finished_ok:
        raise click.ClickException(f'refitting the GAP failed: GapFitCalculation<{node.pk}> exit {node.exit_status}: '
                                   f'{node.exit_message}')
    potential = results['potential']
    potential.base.extras.set('shipped_role', 'gap')
    group.add_nodes(potential)
    return potential, time.monotonic() - start


def ship(folder: Path, name: str, description: str, nodes: dict, gap_refit: dict | None = None) -> dict:
    """Export ``nodes`` (role -> node) with their data provenance to ``folder/<name>.aiida`` and name them in the
    catalogue; ``gap_refit`` (``{'parameters': ...}``) makes the import refit the GAP. Return the entry."""
    from aiida.tools.archive import create_archive

    folder.mkdir(parents=True, exist_ok=True)
    archive = f'{name}.aiida'
    # the data provenance (labels back to their pw.x runs), not every process of the workflows that made it
    create_archive(list(nodes.values()), folder / archive, overwrite=True, call_calc_backward=False,
                   call_work_backward=False)
    entry = {'archive': archive, 'description': description,
             'nodes': {role: node.uuid for role, node in nodes.items()},
             'archive_MB': round((folder / archive).stat().st_size / 1e6, 2)}
    if gap_refit is not None:
        entry['gap_refit'] = gap_refit
    catalogue = read_catalogue(folder)
    catalogue[name] = entry
    (folder / CATALOGUE_FILE).write_text(json.dumps(catalogue, indent=2) + '\n')
    return entry


CATALOGUE_OPTION = click.option('--catalogue', 'folder', type=click.Path(file_okay=False, path_type=Path),
                                default=SHIPPED_FOLDER, show_default=True, hidden=True,
                                help='Folder of catalogue.json and the archives.')


@click.group('potentials', invoke_without_command=True)
@CATALOGUE_OPTION
@click.pass_context
def potentials(context, folder):
    """List the shipped potentials (`import NAME` loads one into the current profile)."""
    if context.invoked_subcommand is not None:
        return
    catalogue = read_catalogue(folder)
    if not catalogue:
        click.echo(f'no shipped potentials in {folder}')
    for name, entry in catalogue.items():
        refit = ' (its GAP is refitted at import)' if 'gap_refit' in entry else ''
        click.echo(f'{name}: {entry["description"]}{refit}')
        for role, uuid in entry['nodes'].items():
            click.echo(f'    {role:<20} {uuid}')


@potentials.command('import')
@click.argument('name')
@CATALOGUE_OPTION
@click.option('--gap-fit-code', default='gap_fit@localhost', show_default=True,
              help='Code that refits a GAP not shipped as a file.')
@click.option('-p', '--profile', default=None, help='AiiDA profile (default: the default profile).')
def import_potential(name, folder, gap_fit_code, profile):
    """Import the shipped potential NAME into the profile (again: nothing changes) and put it in a group."""
    from aiida import load_profile, orm
    from aiida.tools.archive import import_archive

    catalogue = read_catalogue(folder)
    if name not in catalogue:
        raise click.ClickException(f'no shipped potential {name!r}; shipped: {sorted(catalogue) or "none"}')
    entry = catalogue[name]
    problem = archive_problem(folder / entry['archive'], entry['nodes'])
    if problem:
        raise click.ClickException(problem)
    load_profile(profile, allow_switch=True)
    import_archive(folder / entry['archive'])
    group, _ = orm.Group.collection.get_or_create(label=f'{GROUP_PREFIX}{name}')
    for role, uuid in entry['nodes'].items():
        node = orm.load_node(uuid)
        node.base.extras.set('shipped_role', role)
        group.add_nodes(node)
    if 'gap_refit' in entry:
        gap, seconds = refit_gap(entry, orm.load_code(gap_fit_code), group)
        how = 'already refitted' if seconds is None else f'refitted in {seconds:.0f} s'
        click.echo(f'GAP {how}: GapPotentialData<{gap.pk}>')
    click.echo(f'imported {name} into group {group.label}:')
    for node in group.nodes:
        click.echo(f'    {node.base.extras.get("shipped_role"):<20} {type(node).__name__}<{node.pk}> {node.uuid}')
