"""The ``aiida-lps`` command: a click group whose subcommands live in their own modules."""
import click

from .campaign import campaign
from .diffusion import diffusion
from .potentials import potentials
from .quickstart import quickstart
from .report import report
from .setup import setup


@click.group()
def cli():
    """aiida-lps: machine-learned potentials for Li2S-P2S5 solid electrolytes in AiiDA."""


cli.add_command(setup)
cli.add_command(campaign)
cli.add_command(potentials)
cli.add_command(quickstart)
cli.add_command(diffusion)
cli.add_command(report)
