"""``LammpsMdCalculation`` (``lps.lammps_md``): molecular dynamics in LAMMPS with any ``PotentialData`` (a GAP with
``pair_style quip``, a SNAP with ``pair_style snap``, a POD with ``pair_style pod``, ...).

aiida-lammps's ``lammps.raw`` takes an opaque script; this CalcJob takes the structure, the potential (which gives
its own ``pair_style``/``pair_coeff`` lines and files) and the MD settings as typed inputs instead,
so that provenance says which potential drove which trajectory, the species of the structure are checked against
the potential before anything runs, and failures such as lost atoms have their own exit codes.

With ``max_wallclock_seconds`` set, LAMMPS stops itself at ``TIMEOUT_FRACTION`` of it and writes ``restart_file``
(exit 411, with the thermo and frames so far); a calculation given that file as ``restart_file`` and its step as
``parameters['restart_step']`` continues the run (``aiida_lps.potentials.lammps_input``).
"""
from __future__ import annotations

import io

import ase.io
from aiida import orm
from aiida.common import CalcInfo, CodeInfo
from aiida.engine import CalcJob
from ase.data import atomic_masses, atomic_numbers, chemical_symbols

from aiida_lps.data.potentials import PotentialData
from aiida_lps.potentials.lammps_input import md_input_script, validate_md_parameters

__all__ = ('LammpsMdCalculation',)


def validate_inputs(inputs, _):
    """Check the MD parameters and that the potential covers every species of the structure."""
    parameters = inputs['parameters'].get_dict()
    message = validate_md_parameters(parameters)
    if message:
        return message
    if bool(parameters.get('restart_step')) != ('restart_file' in inputs):
        return 'give restart_file and parameters.restart_step (its step) together, or neither'
    potential = inputs['potential']
    missing = sorted(set(inputs['structure'].get_symbols_set()) - set(potential.species))
    if missing:
        return (
            f'the structure contains {missing}, which the {potential.potential_kind} potential<{potential.pk}> '
            f'(species {potential.species}) was not trained on'
        )
    return None


class LammpsMdCalculation(CalcJob):
    """NVT (Nose-Hoover) and NVE stages with one potential; thermo table, unwrapped trajectory, per-species MSD."""

    _DATA_FILE = 'structure.data'
    _DUMP_FILE = 'trajectory.dump'
    _INPUT_FILE = 'md.in'
    _OUTPUT_FILE = 'md.out'
    _RESTART_FILE = 'md.restart'
    _CONTINUED_FILE = 'continued.restart'

    #: LAMMPS stops the run after this fraction of ``max_wallclock_seconds``, leaving time to write the restart file.
    TIMEOUT_FRACTION = 0.95
    #: Steps between two checks of the LAMMPS timeout.
    TIMEOUT_CHECK_EVERY = 10

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('structure', valid_type=orm.StructureData, help='Starting structure (Angstrom).')
        spec.input('potential', valid_type=PotentialData,
                   help='The one potential (GAP, SNAP, POD, ...) of this LAMMPS process.')
        spec.input(
            'parameters', valid_type=orm.Dict,
            help='timestep_fs, initial_temperature_K, seed, thermo_every, dump_every (steps) and stages: a list of '
            '{ensemble: nvt|nve, steps, temperature_K, final_temperature_K, damping_fs, dump}, and restart_step (the '
            'step of restart_file); see aiida_lps.potentials.lammps_input.',
        )
        spec.input('restart_file', valid_type=orm.SinglefileData, required=False,
                   help='LAMMPS binary restart file of a run stopped by its timeout (the restart_file output): the '
                   'run continues from it at parameters.restart_step.')
        spec.inputs.validator = validate_inputs
        options = spec.inputs['metadata']['options']
        options['resources'].default = {'num_machines': 1, 'num_mpiprocs_per_machine': 1}
        options['withmpi'].default = False
        options['parser_name'].default = 'lps.lammps_md'
        options['input_filename'].default = cls._INPUT_FILE
        options['output_filename'].default = cls._OUTPUT_FILE

        spec.output('thermo', valid_type=orm.ArrayData,
                    help='Thermo columns (ps, K, eV, bar, Angstrom^3) and stage (index in parameters.stages).')
        spec.output('trajectory', valid_type=orm.TrajectoryData, required=False,
                    help='Dumped frames, unwrapped, Angstrom; times in ps (none if a continued run dumps none).')
        spec.output('msd', valid_type=orm.ArrayData, required=False,
                    help='Per-species MSD (n_frames, 3) in Angstrom^2 and lag_ps, of a run that finished.')
        spec.output('restart_file', valid_type=orm.SinglefileData, required=False,
                    help='LAMMPS binary restart file at the step the timeout stopped the run (exit 411).')

        failed = {'invalidates_cache': True}  # 3xx: no usable output, never reuse it from the cache
        spec.exit_code(310, 'ERROR_OUTPUT_FILE_MISSING', message='LAMMPS wrote no output log.', **failed)
        spec.exit_code(
            311, 'ERROR_TRAJECTORY_MISSING', message='LAMMPS finished without writing the trajectory dump.', **failed
        )
        spec.exit_code(320, 'ERROR_LAMMPS_RUN', message='LAMMPS stopped with an error: {message}', **failed)
        spec.exit_code(
            321, 'ERROR_INCOMPLETE_RUN', **failed,
            message='LAMMPS stopped before the end of the run (no "Total wall time").',
        )
        spec.exit_code(
            410, 'ERROR_LOST_ATOMS',
            message='atoms were lost ({message}): the potential let atoms fly apart, or the timestep is too large.',
        )
        spec.exit_code(
            411, 'ERROR_STOPPED_BEFORE_WALLTIME',
            message='LAMMPS stopped at step {step} of {total} to end before the wall time; thermo, trajectory (if '
            'dumped) and restart_file hold the run so far.',
        )

    def prepare_for_submission(self, folder):
        potential = self.inputs.potential
        numbers = sorted(atomic_numbers[symbol] for symbol in potential.species)
        symbols = [chemical_symbols[z] for z in numbers]
        data = io.StringIO()
        ase.io.write(data, self.inputs.structure.get_ase(), format='lammps-data', specorder=symbols,
                     atom_style='atomic')
        folder.create_file_from_filelike(io.StringIO(data.getvalue()), self._DATA_FILE, mode='w')
        pair_commands, potential_files = potential.pair_commands(symbols), potential.lammps_files()
        for name, content in potential_files.items():
            with folder.open(name, 'wb') as handle:
                handle.write(content)
        walltime_s = self.metadata.options.get('max_wallclock_seconds')
        script = md_input_script(
            self.inputs.parameters.get_dict(), self._DATA_FILE, pair_commands,
            [float(atomic_masses[z]) for z in numbers], self._DUMP_FILE, restart_file=self._RESTART_FILE,
            continued_file=self._CONTINUED_FILE, timeout_s=self.TIMEOUT_FRACTION * walltime_s if walltime_s else None,
            timeout_check_every=self.TIMEOUT_CHECK_EVERY,
        )
        folder.create_file_from_filelike(io.StringIO(script), self.metadata.options.input_filename, mode='w')

        codeinfo = CodeInfo()
        codeinfo.code_uuid = self.inputs.code.uuid
        codeinfo.cmdline_params = ['-in', self.metadata.options.input_filename, '-log', 'none']
        codeinfo.stdout_name = self.metadata.options.output_filename
        codeinfo.join_files = True

        calcinfo = CalcInfo()
        calcinfo.codes_info = [codeinfo]
        calcinfo.provenance_exclude_list = list(potential_files)  # already in the potential node
        calcinfo.retrieve_list = [self.metadata.options.output_filename, self._DUMP_FILE, self._RESTART_FILE]
        if 'restart_file' in self.inputs:
            restart = self.inputs.restart_file
            calcinfo.local_copy_list = [(restart.uuid, restart.filename, self._CONTINUED_FILE)]
        return calcinfo
