"""``aiida-lps quickstart``: the main job, the whole study on small cells (``LpsStudyWorkChain``) and its report."""
import logging
import time
from pathlib import Path

import click

#: Work chains whose report lines the main job prints; every process's lines stay in `verdi process report`.
PROGRESS_WORKCHAINS = ('LpsStudyWorkChain', 'IterativeTrainingWorkChain', 'GlassSamplingWorkChain',
                       'ArrheniusWorkChain', 'CompositionSweepWorkChain')


def study_progress(record: logging.LogRecord) -> bool:
    """Keep a process report line (``[pk|ProcessClass|step]: ...``) only from :data:`PROGRESS_WORKCHAINS`."""
    message = str(record.msg)
    parts = message.split('|')
    return not message.startswith('[') or len(parts) < 3 or parts[1] in PROGRESS_WORKCHAINS


def _glass_lines(entry: dict) -> list[str]:
    if 'motif_fractions' not in entry:
        return []
    fractions = entry['motif_fractions']['mean']['by_connectivity']
    return ['P in motifs (by connectivity): ' + ', '.join(f'{motif} {value:.2f}' for motif, value in fractions.items()
                                                           if value)]


def _conductivity_lines(entry: dict) -> list[str]:
    from aiida_lps.analysis.conductivity_summary import interval_text

    if entry.get('activation_energy_eV') is None:
        return []
    return [f'E_A = {entry["activation_energy_eV"]:.3f} +- {entry["activation_energy_err_eV"]:.3f} eV, sigma(300 K) = '
            f'{entry["conductivity_300K_S_per_cm"]:.3g} S/cm ({100 * entry["confidence"]:g} % interval '
            f'{interval_text(entry["conductivity_300K_interval_S_per_cm"])} S/cm)']


def _composition_lines(entry: dict) -> list[str]:
    return [f'{label:<20} x = {row["x"]:.3f}  E_f = {row["formation_energy_meV_per_atom"]:7.1f} meV/atom  '
            f'E_above_hull = {row["e_above_hull_meV_per_atom"]:6.1f} meV/atom'
            for label, row in entry.get('structures', {}).items()]


#: Step of the study -> the lines of its headline numbers (none when the step has none).
HEADLINE_LINES = {'glass': _glass_lines, 'conductivity': _conductivity_lines, 'composition': _composition_lines}


@click.command('quickstart')
@click.option('--protocol', default='fast', show_default=True, type=click.Choice(['fast', 'precise']),
              help='Protocol of the study (protocols/study.yaml); precise is the thesis and takes days.')
@click.option('--crystal', default=None, help='Library crystal to start from (default: the protocol\'s).')
@click.option('--seed', default=1, show_default=True, help='Seed of every perturbation, MD and selection.')
def quickstart(protocol, crystal, seed):
    """Train a GAP with pw.x and gap_fit; with it sample glasses, compute a conductivity with LAMMPS and take a GA
    step onto the convex hull; write the HTML report. All in AiiDA."""
    from aiida import load_profile, orm
    from aiida.engine import run_get_node
    from aiida.manage import get_manager

    from aiida_lps.report.workflows import write_workflow_report
    from aiida_lps.workflows.study import STEPS, LpsStudyWorkChain

    profile = load_profile()
    get_manager().get_profile_storage()  # loading the storage reconfigures AiiDA's logging: filter after it
    # the direct scheduler warns per job that it cannot limit memory (the computer's memory is only for gap_fit)
    logging.getLogger('aiida.scheduler').setLevel(logging.ERROR)
    for handler in logging.getLogger('aiida').handlers:
        if type(handler) is logging.StreamHandler:
            handler.addFilter(study_progress)
    overrides = {'seed': seed, **({'crystal': crystal} if crystal else {})}
    builder = LpsStudyWorkChain.get_builder_from_protocol(
        orm.load_code('pw@localhost'), orm.load_code('gap_fit@localhost'), orm.load_code('lmp@localhost'),
        protocol=protocol, overrides=overrides)
    click.echo(f'profile {profile.name}: LpsStudyWorkChain, protocol {protocol}; progress lines follow '
               f'(also: verdi process report)')
    start = time.monotonic()
    results, node = run_get_node(builder)
    click.echo(f'LpsStudyWorkChain<{node.pk}> finished in {(time.monotonic() - start) / 60:.1f} min: '
               f'exit {node.exit_status} ({node.exit_message or "ok"})')
    if 'summary' not in results:
        raise click.ClickException(f'the study stopped early: verdi process report {node.pk}')
    summary = results['summary'].get_dict()
    training = summary['training']
    click.echo(f'  training      IterativeTrainingWorkChain<{training["pk"]}>: '
               f'GapPotentialData<{training["potential_pk"]}> after {training["generations"]} generation(s), '
               f'validation force RMSE {training["validation_force_rmse_eV_per_A"]:.3f} eV/A')
    for step in STEPS:
        entry = summary[step]
        process = orm.load_node(entry['pk']).process_label
        click.echo(f'  {step:<13} {process}<{entry["pk"]}>: exit {entry["exit_status"]}'
                   f'{": " + entry["exit_message"] if entry["exit_message"] else ""}')
        for line in HEADLINE_LINES[step](entry):
            click.echo(f'    {line}')
    report = write_workflow_report(node, Path(f'lps-report-{node.pk}.html'))
    click.echo(f'report: {report.resolve()}')
