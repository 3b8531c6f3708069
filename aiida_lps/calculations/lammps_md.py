"""``LammpsMdCalculation`` (``lps.lammps_md``): molecular dynamics with a GAP in LAMMPS (``pair_style quip``).

aiida-lammps's ``lammps.raw`` takes an opaque script; this CalcJob takes the structure, the ``GapPotentialData``
and the MD settings as typed inputs instead, so that provenance says which potential drove which trajectory, the
species of the structure are checked against the potential before anything runs, and failures such as lost atoms
have their own exit codes.
"""
from __future__ import annotations

import io

import ase.io
from aiida import orm
from aiida.common import CalcInfo, CodeInfo
from aiida.engine import CalcJob
from ase.data import atomic_masses, atomic_numbers, chemical_symbols

from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.potentials.lammps_input import md_input_script, validate_md_parameters

__all__ = ('LammpsMdCalculation',)


def validate_inputs(inputs, _):
    """Check the MD parameters and that the potential covers every species of the structure."""
    message = validate_md_parameters(inputs['parameters'].get_dict())
    if message:
        return message
    missing = sorted(set(inputs['structure'].get_symbols_set()) - set(inputs['potential'].species))
    if missing:
        return (
            f'the structure contains {missing}, which the GAP potential<{inputs["potential"].pk}> '
            f'(species {inputs["potential"].species}) was not trained on'
        )
    return None


class LammpsMdCalculation(CalcJob):
    """NVT (Nose-Hoover) and NVE stages with one GAP; thermo table, unwrapped trajectory and per-species MSD."""

    _DATA_FILE = 'structure.data'
    _POTENTIAL_FILE = 'gap.xml'
    _DUMP_FILE = 'trajectory.dump'
    _INPUT_FILE = 'md.in'
    _OUTPUT_FILE = 'md.out'

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('structure', valid_type=orm.StructureData, help='Starting structure (Angstrom).')
        spec.input('potential', valid_type=GapPotentialData, help='The one GAP of this LAMMPS process.')
        spec.input(
            'parameters', valid_type=orm.Dict,
            help='timestep_fs, initial_temperature_K, seed, thermo_every, dump_every (steps) and stages: a list of '
            '{ensemble: nvt|nve, steps, temperature_K, final_temperature_K, damping_fs, dump}; see '
            'aiida_lps.potentials.lammps_input.',
        )
        spec.inputs.validator = validate_inputs
        options = spec.inputs['metadata']['options']
        options['resources'].default = {'num_machines': 1, 'num_mpiprocs_per_machine': 1}
        options['withmpi'].default = False
        options['parser_name'].default = 'lps.lammps_md'
        options['input_filename'].default = cls._INPUT_FILE
        options['output_filename'].default = cls._OUTPUT_FILE

        spec.output('thermo', valid_type=orm.ArrayData, help='Thermo columns (ps, K, eV, bar, Angstrom^3).')
        spec.output('trajectory', valid_type=orm.TrajectoryData, help='Dumped frames, unwrapped, Angstrom; times in ps.')
        spec.output('msd', valid_type=orm.ArrayData, help='Per-species MSD (n_frames, 3) in Angstrom^2 and lag_ps.')

        failed = {'invalidates_cache': True}  # 3xx: no usable output, never reuse it from the cache
        spec.exit_code(310, 'ERROR_OUTPUT_FILE_MISSING', message='LAMMPS wrote no output log.', **failed)
        spec.exit_code(
            311, 'ERROR_TRAJECTORY_MISSING', message='LAMMPS finished without writing the trajectory dump.', **failed
        )
        spec.exit_code(320, 'ERROR_LAMMPS_RUN', message='LAMMPS stopped with an error: {message}', **failed)
        spec.exit_code(
            321, 'ERROR_INCOMPLETE_RUN', message='LAMMPS stopped before the end of the run (no "Total wall time").', **failed
        )
        spec.exit_code(
            410, 'ERROR_LOST_ATOMS',
            message='atoms were lost ({message}): the potential let atoms fly apart, or the timestep is too large.',
        )

    def prepare_for_submission(self, folder):
        potential = self.inputs.potential
        numbers = sorted(atomic_numbers[symbol] for symbol in potential.species)
        symbols = [chemical_symbols[z] for z in numbers]
        data = io.StringIO()
        ase.io.write(data, self.inputs.structure.get_ase(), format='lammps-data', specorder=symbols,
                     atom_style='atomic')
        folder.create_file_from_filelike(io.StringIO(data.getvalue()), self._DATA_FILE, mode='w')
        with folder.open(self._POTENTIAL_FILE, 'wb') as handle:
            handle.write(potential.get_content(mode='rb'))
        script = md_input_script(
            self.inputs.parameters.get_dict(), self._DATA_FILE, self._POTENTIAL_FILE, potential.potential_label,
            numbers, [float(atomic_masses[z]) for z in numbers], self._DUMP_FILE,
        )
        folder.create_file_from_filelike(io.StringIO(script), self.metadata.options.input_filename, mode='w')

        codeinfo = CodeInfo()
        codeinfo.code_uuid = self.inputs.code.uuid
        codeinfo.cmdline_params = ['-in', self.metadata.options.input_filename, '-log', 'none']
        codeinfo.stdout_name = self.metadata.options.output_filename
        codeinfo.join_files = True

        calcinfo = CalcInfo()
        calcinfo.codes_info = [codeinfo]
        calcinfo.provenance_exclude_list = [self._POTENTIAL_FILE]
        calcinfo.retrieve_list = [self.metadata.options.output_filename, self._DUMP_FILE]
        return calcinfo
