"""``PwMdCalculation`` (``lps.pw_md``): aiida-quantumespresso's ``PwCalculation`` with starting velocities.

pw.x reads starting velocities from an ``ATOMIC_VELOCITIES`` card (``IONS ion_velocities='from_input'``), which
``PwCalculation`` does not write. This CalcJob adds the ``velocities`` input and the card, and refuses MD inputs
that would waste a DFT run: ``from_input`` without velocities (or with the wrong number), and a time step above
the bound for the lightest species. Everything else, including the parser (``quantumespresso.pw``), is
``PwCalculation``'s.
"""
from __future__ import annotations

import io

import numpy as np
from aiida import orm
from aiida_quantumespresso.calculations.pw import PwCalculation
from ase.units import Bohr

from aiida_lps.sampling.md_segments import RY_TIME_FS

__all__ = ('MAX_TIMESTEP_FS', 'PwMdCalculation', 'timestep_problem')

#: Largest MD time step, fs, for cells containing the species: Li (6.9 amu) vibrates with periods of 60-100 fs
#: in sulfides, and Verlet needs about 30 steps per period for energy conservation.
MAX_TIMESTEP_FS = {'Li': 2.0}
#: Array name of the velocities input.
VELOCITIES_ARRAY = 'velocities'


def timestep_problem(timestep_fs: float, symbols) -> str | None:
    """Why ``timestep_fs`` (fs) is no time step for a cell of chemical ``symbols``; None when it is one."""
    if timestep_fs <= 0:
        return f'the MD time step must be positive, got {timestep_fs} fs'
    for symbol, bound in MAX_TIMESTEP_FS.items():
        if symbol in set(symbols) and timestep_fs > bound:
            return (f'a time step of {timestep_fs} fs is above the {bound} fs bound for cells with {symbol}: its '
                    f'vibrations are not integrated accurately and the NVE energy drifts; use <= {bound} fs')
    return None


def validate_inputs(inputs, port_namespace):
    """``PwCalculation``'s checks, then the MD time step and the velocities ``from_input`` needs."""
    message = PwCalculation.validate_inputs(inputs, port_namespace)
    if message or not {'parameters', 'structure'} <= set(inputs):
        return message
    parameters = inputs['parameters'].get_dict()
    if parameters.get('CONTROL', {}).get('calculation') != 'md':
        return None
    symbols = inputs['structure'].get_ase().get_chemical_symbols()
    message = timestep_problem(parameters['CONTROL'].get('dt', 20.0) * RY_TIME_FS, symbols)
    if message:
        return message
    from_input = parameters.get('IONS', {}).get('ion_velocities') == 'from_input'
    if from_input and 'velocities' not in inputs:
        return "IONS ion_velocities = 'from_input' needs the `velocities` input (Angstrom/ps, one row per site)"
    if 'velocities' in inputs:
        if not from_input:
            return "`velocities` are only read with IONS ion_velocities = 'from_input'"
        shape = inputs['velocities'].get_shape(VELOCITIES_ARRAY)
        if shape != (len(symbols), 3):
            return f'`velocities` has shape {shape}, the structure has {len(symbols)} sites: give ({len(symbols)}, 3)'
    return None


class PwMdCalculation(PwCalculation):
    """pw.x (``calculation='md'``) starting from given velocities (Angstrom/ps)."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('velocities', valid_type=orm.ArrayData, required=False,
                   help=f'Starting velocities, Angstrom/ps: array `{VELOCITIES_ARRAY}` (n_sites, 3) in site order; '
                        "read with IONS ion_velocities = 'from_input'.")
        spec.inputs.validator = validate_inputs

    def prepare_for_submission(self, folder):
        """``PwCalculation``'s input file with the ``ATOMIC_VELOCITIES`` card (Rydberg atomic units) appended."""
        calcinfo = super().prepare_for_submission(folder)
        if 'velocities' in self.inputs:
            velocities = self.inputs.velocities.get_array(VELOCITIES_ARRAY) * (RY_TIME_FS * 1e-3 / Bohr)
            lines = ['ATOMIC_VELOCITIES a.u'] + [
                f'{name} {vx:.12e} {vy:.12e} {vz:.12e}'
                for name, (vx, vy, vz) in zip(self.inputs.structure.get_site_kindnames(), np.asarray(velocities))
            ]
            filename = self.metadata.options.input_filename
            with folder.open(filename, 'r') as handle:
                text = handle.read()
            folder.create_file_from_filelike(io.StringIO(text + '\n'.join(lines) + '\n'), filename, mode='w')
        return calcinfo
