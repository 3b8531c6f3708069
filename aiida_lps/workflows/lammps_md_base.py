"""``LammpsMdBaseWorkChain`` (``lps.lammps_md_base``): a ``LammpsMdCalculation`` restarted when it can be fixed.

- lost atoms (the calculation's 410): the run again from the start with the time step halved and as many more
  steps, so stages last as long in ps and frames are dumped at the same times; at most twice (``defaults``), then
  exit 312.
- stopped before the wall time (the calculation's 411: LAMMPS's ``timer timeout`` at 95 % of
  ``max_wallclock_seconds``, then a restart file): the next calculation continues from that file (positions, image
  flags, velocities, the thermostat's state) with the rest of the stage and the later stages, without new
  velocities or equilibration; at most ``defaults['max_walltime_restarts']`` times, then exit 313. The outputs join
  the pieces into one ``trajectory``, ``thermo`` and ``msd`` (``join_lammps_md_pieces``), as if the run had not
  stopped. A piece that made no step since its restart ends the work chain with 311.
- out of wall time without a restart file (scheduler 120, or the log cut short, 321: the job was killed before
  LAMMPS's own timeout, or ``max_wallclock_seconds`` was not set): exit 311 names the wall time to raise.
- anything else: exit 310 with the calculation's exit status and message.

Resources and wall time go in ``lammps.metadata.options``, as for the calculation itself.
"""
from __future__ import annotations

from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import ProcessHandlerReport, process_handler

from aiida_lps.calculations.functions.join_lammps_md_pieces import join_lammps_md_pieces, piece_inputs
from aiida_lps.calculations.lammps_md import LammpsMdCalculation
from aiida_lps.potentials.lammps_input import MD_DEFAULTS, stage_steps, with_shorter_timestep
from aiida_lps.workflows.restart import LpsRestartWorkChain

__all__ = ('LammpsMdBaseWorkChain', 'expose_md_inputs', 'md_base_inputs')

#: Inputs of ``lammps`` that a caller sets per run; work chains expose the rest as their ``md`` namespace.
PER_RUN_INPUTS = ('lammps.code', 'lammps.structure', 'lammps.potential', 'lammps.parameters')


class LammpsMdBaseWorkChain(LpsRestartWorkChain):
    """Molecular dynamics in LAMMPS that survives a too-large time step and its wall time; see the module docstring."""

    _process_class = LammpsMdCalculation
    _namespace = 'lammps'

    #: ``timestep_factor``: multiplies the time step after lost atoms, at most ``max_reductions`` times;
    #: ``max_walltime_restarts``: most continuations of a run stopped before its wall time.
    defaults = {**LpsRestartWorkChain.defaults, 'timestep_factor': 0.5, 'max_walltime_restarts': 10}

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.inputs['max_iterations'].default = lambda: orm.Int(
            1 + cls.defaults['max_reductions'] + cls.defaults['max_walltime_restarts'])
        for name in ('trajectory', 'msd'):  # a piece of a continued run may have neither; the joined run has both
            spec.outputs[name].required = True
        spec.exit_code(311, 'ERROR_OUT_OF_WALLTIME',
                       message='LammpsMdCalculation<{pk}> stopped before the end of its run ({reason}) and cannot be '
                       'continued: {why}. If its wall time ({walltime}) ended it, raise '
                       'lammps.metadata.options.max_wallclock_seconds or run fewer steps')
        spec.exit_code(312, 'ERROR_LOST_ATOMS',
                       message='LammpsMdCalculation<{pk}> lost atoms even with the time step reduced to '
                       '{timestep_fs:g} fs: {message}')
        spec.exit_code(313, 'ERROR_WALLTIME_RESTARTS_EXHAUSTED',
                       message='LammpsMdCalculation<{pk}> reached its wall time ({walltime} s) at step {step} of '
                       '{total} after {restarts} continuations (defaults max_walltime_restarts): raise '
                       'lammps.metadata.options.max_wallclock_seconds or run fewer steps')

    def setup(self):
        """No pieces yet: ``ctx.pieces`` will hold the calculations stopped at their timeout, in run order."""
        super().setup()
        self.ctx.pieces = []

    @process_handler(priority=500, exit_codes=LammpsMdCalculation.exit_codes.ERROR_LOST_ATOMS)
    def handle_lost_atoms(self, node):
        """Run again from the start (no restart file, pieces dropped) with the time step times ``timestep_factor``
        (same duration in ps), or stop after the last try."""
        parameters = node.inputs.parameters.get_dict()
        timestep_fs = {**MD_DEFAULTS, **parameters}['timestep_fs']
        if not self.can_reduce():
            return ProcessHandlerReport(True, self.exit_codes.ERROR_LOST_ATOMS.format(
                pk=node.pk, timestep_fs=timestep_fs, message=node.exit_message))
        parameters.pop('restart_step', None)
        self.ctx.inputs.pop('restart_file', None)
        self.ctx.pieces = []
        shorter = with_shorter_timestep(parameters, self.defaults['timestep_factor'])
        change = f'lost atoms at a {timestep_fs:g} fs time step: running again at {shorter["timestep_fs"]:g} fs'
        return self.rerun_with_parameters(node, shorter, change)

    @process_handler(priority=410, exit_codes=LammpsMdCalculation.exit_codes.ERROR_STOPPED_BEFORE_WALLTIME)
    def handle_stopped_before_walltime(self, node):
        """Continue from the restart file with the rest of the stage it stopped in and the later stages, or stop after
        ``max_walltime_restarts`` continuations or a piece that made no step."""
        parameters = node.inputs.parameters.get_dict()
        step, since = node.outputs.restart_file.base.attributes.get('step'), parameters.get('restart_step', 0)
        bounds = stage_steps(parameters)
        if step <= since:
            return self.stop_out_of_walltime(node, f'no step made since the restart at step {since}')
        if len(self.ctx.pieces) >= self.defaults['max_walltime_restarts']:
            return ProcessHandlerReport(True, self.exit_codes.ERROR_WALLTIME_RESTARTS_EXHAUSTED.format(
                pk=node.pk, walltime=node.get_option('max_wallclock_seconds'), step=step, total=bounds[-1][1],
                restarts=len(self.ctx.pieces)))
        self.ctx.pieces.append(node)
        self.ctx.inputs.restart_file = node.outputs.restart_file
        self.ctx.inputs.parameters = {**parameters, 'restart_step': step}
        stage = next(index for index, (_, last) in enumerate(bounds) if last > step)
        self.report(f'{self.ctx.process_name}<{node.pk}>: wall time at step {step} of {bounds[-1][1]}: continuing '
                    f'from frame {step} (restart file) with the {bounds[stage][1] - step} remaining steps of stage '
                    f'{stage} and {len(bounds) - stage - 1} later stage(s) (restart {len(self.ctx.pieces)} of '
                    f'{self.defaults["max_walltime_restarts"]})')
        return ProcessHandlerReport(True)

    @process_handler(priority=400, exit_codes=[LammpsMdCalculation.exit_codes.ERROR_SCHEDULER_OUT_OF_WALLTIME,
                                               LammpsMdCalculation.exit_codes.ERROR_INCOMPLETE_RUN])
    def handle_out_of_walltime(self, node):
        """Killed before LAMMPS's own timeout, so no restart file: stop and say which wall time to raise."""
        return self.stop_out_of_walltime(node, 'no restart file (the job was killed before LAMMPS stopped itself at '
                                         f'{LammpsMdCalculation.TIMEOUT_FRACTION:.0%} of max_wallclock_seconds)')

    def stop_out_of_walltime(self, node, why: str) -> ProcessHandlerReport:
        """Exit 311 for ``node``, which stopped early and cannot be continued because of ``why``."""
        walltime = node.get_option('max_wallclock_seconds')
        return ProcessHandlerReport(True, self.exit_codes.ERROR_OUT_OF_WALLTIME.format(
            pk=node.pk, reason=node.exit_message, why=why, walltime=f'{walltime} s' if walltime else 'not set'))

    def get_outputs(self, node) -> dict:
        """The last calculation's outputs, with ``trajectory``, ``thermo`` and ``msd`` of all pieces joined
        (``join_lammps_md_pieces``) if the run was continued."""
        outputs = super().get_outputs(node)
        if not self.ctx.pieces:
            return outputs
        joined = join_lammps_md_pieces(**piece_inputs([*self.ctx.pieces, node]),
                                       metadata={'call_link_label': 'join_pieces'})
        self.report(f'joined {len(self.ctx.pieces) + 1} pieces: {joined["trajectory"].numsteps} frames, '
                    f'{len(joined["thermo"].get_array("Step"))} thermo rows')
        return {**outputs, **joined}


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
