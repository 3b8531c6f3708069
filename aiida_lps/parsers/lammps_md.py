"""Parser of ``lps.lammps_md``: thermo table, unwrapped trajectory and per-species MSD, or the run so far and its
restart file when LAMMPS stopped at its timeout."""
from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.parsers import Parser
from ase.data import atomic_masses, atomic_numbers, chemical_symbols

from aiida_lps.analysis.msd import tracer_msd
from aiida_lps.parsers.raw.lammps import find_error, find_restart_step, parse_thermo, read_dump
from aiida_lps.potentials.lammps_input import MD_DEFAULTS, stage_steps


class LammpsMdParser(Parser):
    """Outputs ``thermo``, ``trajectory`` and ``msd`` (per species, drift of the whole cell removed; both only if
    frames were dumped, which a continued run's last stages may not do); after a stop at the timeout (exit 411)
    ``thermo``, ``trajectory`` (if frames were dumped) and ``restart_file``."""

    def parse(self, **kwargs):
        calc = self.node.process_class
        files = self.retrieved.base.repository.list_object_names()
        if calc._OUTPUT_FILE not in files:
            return self.exit_codes.ERROR_OUTPUT_FILE_MISSING
        log = self.retrieved.base.repository.get_object_content(calc._OUTPUT_FILE)
        error = find_error(log)
        if error and 'Lost atoms' in error:
            return self.exit_codes.ERROR_LOST_ATOMS.format(message=error)
        if error:
            return self.exit_codes.ERROR_LAMMPS_RUN.format(message=error)
        if 'Total wall time' not in log:
            return self.exit_codes.ERROR_INCOMPLETE_RUN
        parameters = {**MD_DEFAULTS, **self.node.inputs.parameters.get_dict()}
        bounds = stage_steps(parameters)
        ran = [index for index, (_, last) in enumerate(bounds) if last > parameters['restart_step']]
        restart_step = find_restart_step(log)
        dumped = any(parameters['stages'][index].get('dump', True) for index in ran)
        if restart_step is None and dumped and calc._DUMP_FILE not in files:
            return self.exit_codes.ERROR_TRAJECTORY_MISSING

        thermo = orm.ArrayData()
        for name, values in parse_thermo(log).items():
            thermo.set_array(name, values + ran[0] if name == 'stage' else values)  # stage: index in the parameters
        self.out('thermo', thermo)
        dump = (read_dump(self.retrieved.base.repository.get_object_content(calc._DUMP_FILE))
                if calc._DUMP_FILE in files else None)
        if dump is not None and len(dump['steps']):
            species = self.node.inputs.potential.species
            type_symbols = [chemical_symbols[z] for z in sorted(atomic_numbers[s] for s in species)]
            symbols = [type_symbols[t - 1] for t in dump['types']]
            times_ps = dump['steps'] * parameters['timestep_fs'] / 1000.0
            trajectory = orm.TrajectoryData()
            trajectory.set_trajectory(
                symbols, dump['positions'], stepids=dump['steps'], cells=dump['cells'], times=times_ps,
                pbc=(True, True, True),
            )
            self.out('trajectory', trajectory)
            if restart_step is None:
                self.out('msd', species_msd(dump['positions'], symbols, times_ps))
        if restart_step is not None:
            with self.retrieved.base.repository.open(calc._RESTART_FILE, 'rb') as handle:
                restart = orm.SinglefileData(handle, filename=calc._RESTART_FILE)
            restart.base.attributes.set('step', restart_step)
            self.out('restart_file', restart)
            return self.exit_codes.ERROR_STOPPED_BEFORE_WALLTIME.format(step=restart_step, total=bounds[-1][1])
        return None


def species_msd(positions: np.ndarray, symbols: list[str], times_ps: np.ndarray) -> orm.ArrayData:
    """Per-species MSD along x, y, z averaged over atoms and all time origins, with the cell's centre-of-mass drift
    removed; arrays ``msd_<symbol>`` (n_frames, 3) Angstrom^2 and ``lag_ps`` (n_frames,)."""
    symbols = np.array(symbols)
    masses = np.array([atomic_masses[atomic_numbers[s]] for s in symbols])
    everyone = np.arange(len(symbols))
    msd = orm.ArrayData()
    msd.set_array('lag_ps', times_ps - times_ps[0])
    for symbol in sorted(set(symbols)):
        per_atom = tracer_msd(positions, np.flatnonzero(symbols == symbol), reference_indices=everyone, masses=masses)
        msd.set_array(f'msd_{symbol}', per_atom.mean(axis=1))
    return msd
