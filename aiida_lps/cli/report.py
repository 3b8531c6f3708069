"""``aiida-lps report``: one self-contained HTML page for a finished workflow, every value with its node."""
from pathlib import Path

import click


@click.command('report')
@click.argument('identifier')
@click.option('-o', '--output', type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help='HTML file to write; default: lps-report-<pk>.html in the current directory.')
def report(identifier, output):
    """Write the HTML report of the finished workflow IDENTIFIER (PK or UUID) and print its path.

    The page has a section per IterativeTrainingWorkChain, GlassSamplingWorkChain, ArrheniusWorkChain and
    CompositionSweepWorkChain at or below the workflow (so a study that called several gets them all): tables of
    the results and the workflows' plots, embedded. Every value names the node it was read from (PK, and the UUID
    when hovered).
    """
    from aiida import load_profile, orm
    from aiida.common.exceptions import MultipleObjectsError, NotExistent

    from aiida_lps.report.workflows import ReportError, write_workflow_report

    load_profile()
    try:
        node = orm.load_node(identifier)
    except (NotExistent, MultipleObjectsError, ValueError) as exception:
        raise click.BadParameter(str(exception), param_hint='IDENTIFIER') from exception
    path = output if output is not None else Path(f'lps-report-{node.pk}.html')
    try:
        written = write_workflow_report(node, path)
    except ReportError as exception:
        raise click.ClickException(str(exception)) from exception
    click.echo(str(written.resolve()))
