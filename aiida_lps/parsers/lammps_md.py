"""Parser of ``lps.lammps_md``: thermo table, unwrapped trajectory and per-species MSD."""
from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.parsers import Parser
from ase.data import atomic_masses, atomic_numbers, chemical_symbols

from aiida_lps.analysis.msd import tracer_msd
from aiida_lps.parsers.raw.lammps import find_error, parse_thermo, read_dump
from aiida_lps.potentials.lammps_input import MD_DEFAULTS


class LammpsMdParser(Parser):
    """Outputs ``thermo``, ``trajectory`` and ``msd`` (per species, drift of the whole cell removed)."""

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
        if calc._DUMP_FILE not in files:
            return self.exit_codes.ERROR_TRAJECTORY_MISSING

        thermo = orm.ArrayData()
        for name, values in parse_thermo(log).items():
            thermo.set_array(name, values)

        dump = read_dump(self.retrieved.base.repository.get_object_content(calc._DUMP_FILE))
        species = self.node.inputs.potential.species
        type_symbols = [chemical_symbols[z] for z in sorted(atomic_numbers[s] for s in species)]
        symbols = [type_symbols[t - 1] for t in dump['types']]
        parameters = {**MD_DEFAULTS, **self.node.inputs.parameters.get_dict()}
        times_ps = dump['steps'] * parameters['timestep_fs'] / 1000.0
        trajectory = orm.TrajectoryData()
        trajectory.set_trajectory(
            symbols, dump['positions'], stepids=dump['steps'], cells=dump['cells'], times=times_ps,
            pbc=(True, True, True),
        )

        self.out('thermo', thermo)
        self.out('trajectory', trajectory)
        self.out('msd', species_msd(dump['positions'], symbols, times_ps))
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
