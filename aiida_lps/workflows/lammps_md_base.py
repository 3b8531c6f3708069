"""``LammpsMdBaseWorkChain`` (``lps.lammps_md_base``): a ``LammpsMdCalculation`` restarted when it can be fixed.

- lost atoms (the calculation's 410): the run again from the start with the time step halved and as many more
  steps, so stages last as long in ps and frames are dumped at the same times; at most twice (``defaults``), then
  exit 312.
- out of wall time (scheduler 120, or the log cut short, 321): ``LammpsMdCalculation`` writes no restart file and
  retrieves no velocities, so there is no frame to continue from: exit 311 names the wall time to raise.
- anything else: exit 310 with the calculation's exit status and message.

Resources and wall time go in ``lammps.metadata.options``, as for the calculation itself.
"""
from __future__ import annotations

from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import ProcessHandlerReport, process_handler

from aiida_lps.calculations.lammps_md import LammpsMdCalculation
from aiida_lps.potentials.lammps_input import MD_DEFAULTS, with_shorter_timestep
from aiida_lps.workflows.restart import LpsRestartWorkChain

__all__ = ('LammpsMdBaseWorkChain', 'expose_md_inputs', 'md_base_inputs')

#: Inputs of ``lammps`` that a caller sets per run; work chains expose the rest as their ``md`` namespace.
PER_RUN_INPUTS = ('lammps.code', 'lammps.structure', 'lammps.potential', 'lammps.parameters')


class LammpsMdBaseWorkChain(LpsRestartWorkChain):
    """Molecular dynamics in LAMMPS that survives a too-large time step; see the module docstring."""

    _process_class = LammpsMdCalculation
    _namespace = 'lammps'

    #: ``timestep_factor``: multiplies the time step after lost atoms, at most ``max_reductions`` times.
    defaults = {**LpsRestartWorkChain.defaults, 'timestep_factor': 0.5}

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.exit_code(311, 'ERROR_OUT_OF_WALLTIME',
                       message='LammpsMdCalculation<{pk}> stopped before the end of its run ({reason}) and writes no '
                       'restart file to continue from: if its wall time ({walltime}) ended it, raise '
                       'lammps.metadata.options.max_wallclock_seconds or run fewer steps')
        spec.exit_code(312, 'ERROR_LOST_ATOMS',
                       message='LammpsMdCalculation<{pk}> lost atoms even with the time step reduced to '
                       '{timestep_fs:g} fs: {message}')

    @process_handler(priority=500, exit_codes=LammpsMdCalculation.exit_codes.ERROR_LOST_ATOMS)
    def handle_lost_atoms(self, node):
        """Run again with the time step times ``timestep_factor`` (same duration in ps), or stop after the last try."""
        parameters = node.inputs.parameters.get_dict()
        timestep_fs = {**MD_DEFAULTS, **parameters}['timestep_fs']
        if not self.can_reduce():
            return ProcessHandlerReport(True, self.exit_codes.ERROR_LOST_ATOMS.format(
                pk=node.pk, timestep_fs=timestep_fs, message=node.exit_message))
        shorter = with_shorter_timestep(parameters, self.defaults['timestep_factor'])
        change = f'lost atoms at a {timestep_fs:g} fs time step: running again at {shorter["timestep_fs"]:g} fs'
        return self.rerun_with_parameters(node, shorter, change)

    @process_handler(priority=400, exit_codes=[LammpsMdCalculation.exit_codes.ERROR_SCHEDULER_OUT_OF_WALLTIME,
                                               LammpsMdCalculation.exit_codes.ERROR_INCOMPLETE_RUN])
    def handle_out_of_walltime(self, node):
        """No restart data: stop and say which wall time to raise."""
        walltime = node.get_option('max_wallclock_seconds')
        return ProcessHandlerReport(True, self.exit_codes.ERROR_OUT_OF_WALLTIME.format(
            pk=node.pk, reason=node.exit_message, walltime=f'{walltime} s' if walltime else 'not set'))


def expose_md_inputs(spec, namespace: str, help_text: str | None = None) -> None:
    """Expose the ``LammpsMdBaseWorkChain`` inputs but ``PER_RUN_INPUTS`` in ``namespace`` of a work chain's ``spec``
    (``lammps.metadata.options``: resources and wall time in s; ``handler_overrides``; ``max_iterations``)."""
    spec.expose_inputs(LammpsMdBaseWorkChain, namespace=namespace, exclude=PER_RUN_INPUTS,
                       namespace_options={'help': help_text} if help_text else None)
    spec.inputs[namespace]['lammps'].validator = None  # the calculation's own check needs the inputs set per run
    spec.inputs[namespace].dynamic = False  # a misspelled input is refused


def md_options(max_wallclock_seconds: int, options: dict | None = None) -> dict:
    """``metadata.options`` of the MD runs of a builder: one machine and one rank and the protocol's wall time (s),
    under the user's ``options``. Resources are spelled out: a work chain that exposes the builder's inputs again
    (a study) validates its namespace without the calculation's defaults."""
    return {'resources': {'num_machines': 1, 'num_mpiprocs_per_machine': 1},
            'max_wallclock_seconds': max_wallclock_seconds, **(options or {})}


def md_base_inputs(exposed: dict, label: str, *, retry_lost_atoms: bool = True, **lammps) -> AttributeDict:
    """Inputs of one ``LammpsMdBaseWorkChain`` linked as ``label``.

    :param exposed: the caller's exposed namespace (``lammps.metadata.options``, ``handler_overrides``, ...).
    :param retry_lost_atoms: False turns the lost-atoms handler off unless ``exposed`` sets it (a potential with
        a hole loses atoms at any time step).
    :param lammps: the per-run ``LammpsMdCalculation`` inputs (``PER_RUN_INPUTS``: code, structure, potential,
        and ``parameters`` as a dict).
    """
    inputs = AttributeDict(exposed)
    inputs.lammps = {**inputs.get('lammps', {}), **lammps, 'parameters': orm.Dict(lammps['parameters'])}
    if not retry_lost_atoms:
        overrides = inputs.get('handler_overrides', orm.Dict()).get_dict()
        inputs.handler_overrides = orm.Dict({'handle_lost_atoms': {'enabled': False}, **overrides})
    inputs.metadata = {'call_link_label': label}
    return inputs
