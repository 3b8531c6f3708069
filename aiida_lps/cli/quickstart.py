"""``aiida-lps quickstart``: the main job, an end-to-end study on small cells with real pw.x and gap_fit."""
import time

import click


def _stage(message: str, start: float) -> None:
    click.echo(f'[{time.monotonic() - start:6.0f} s] {message}')


@click.command('quickstart')
@click.option('--crystal', default='gamma-Li3PS4', show_default=True, help='Crystal of the library to start from.')
@click.option('--count', default=4, show_default=True, help='Rattled and strained copies to label with DFT.')
@click.option('--seed', default=0, show_default=True, help='Seed of the perturbations.')
def quickstart(crystal, count, seed):
    """Label rattled copies of a crystal with pw.x and fit a GAP to them, all recorded in AiiDA."""
    from aiida import load_profile, orm
    from aiida.engine import run_get_node

    from aiida_lps.calculations.functions.perturbed_structures import perturbed_structures
    from aiida_lps.calculations.gap_fit import GapFitCalculation
    from aiida_lps.potentials.gap import GAP_PRESETS
    from aiida_lps.structures.crystals import get_crystal
    from aiida_lps.workflows.labelling import DftLabellingWorkChain

    profile = load_profile()
    start = time.monotonic()
    _stage(f'profile {profile.name}: perturbing {crystal} ({count} copies)', start)
    structures = perturbed_structures(
        orm.StructureData(ase=get_crystal(crystal)), orm.Int(count), orm.Float(0.1), orm.Float(0.02), orm.Int(seed)
    )

    _stage(f'DFT labels with pw.x (fast protocol) for {len(structures)} structures', start)
    builder = DftLabellingWorkChain.get_builder_from_protocol(orm.load_code('pw@localhost'), structures, 'fast')
    builder.tags = orm.Dict({'crystal': crystal, 'stage': 'quickstart'})
    labels, labelling = run_get_node(builder)
    if not labelling.is_finished_ok:
        raise click.ClickException(f'DftLabellingWorkChain<{labelling.pk}> failed: {labelling.exit_message}')

    _stage(f'fitting a GAP (fast hyperparameters) to {labels["training_set"].num_structures} structures', start)
    fit_builder = GapFitCalculation.get_builder()
    fit_builder.code = orm.load_code('gap_fit@localhost')
    fit_builder.training_set = labels['training_set']
    fit_builder.parameters = orm.Dict(GAP_PRESETS['fast'])
    fit, fit_node = run_get_node(fit_builder)
    if not fit_node.is_finished_ok:
        raise click.ClickException(f'GapFitCalculation<{fit_node.pk}> failed: {fit_node.exit_message}')

    metrics = fit['metrics']
    _stage('done', start)
    click.echo(f'  DftLabellingWorkChain  pk {labelling.pk}  ({labels["summary"]["n_labelled"]} labelled)')
    click.echo(f'  TrainingSetData        pk {labels["training_set"].pk}')
    click.echo(f'  GapFitCalculation      pk {fit_node.pk}')
    click.echo(
        f'  GapPotentialData       pk {fit["potential"].pk}  (training force RMSE '
        f'{metrics["force_rmse_eV_per_A"]:.3f} eV/A, energy RMSE {metrics["energy_rmse_meV_per_atom"]:.2f} meV/atom)'
    )
    click.echo(f'Inspect with: verdi process show {labelling.pk}; verdi node show {fit["potential"].pk}')
