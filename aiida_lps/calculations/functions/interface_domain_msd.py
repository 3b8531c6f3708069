"""Calcfunction: mean square displacement of one species per interface domain, statically or dynamically assigned."""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction
from ase.data import atomic_masses, atomic_numbers

from aiida_lps.analysis.interface_domains import (
    DOMAIN_NAMES,
    InterfaceDomains,
    dynamic_domain_msd,
    static_domain_msd,
)

#: ``assignment`` input -> core function.
ASSIGNMENTS = {'static': static_domain_msd, 'dynamic': dynamic_domain_msd}


@calcfunction
def interface_domain_msd(trajectory: orm.TrajectoryData, domains: orm.Dict, species: orm.Str,
                         assignment: orm.Str) -> orm.ArrayData:
    """MSD of the ``species`` atoms per domain, the drift of the other atoms' centre of mass removed
    (``aiida_lps.analysis.interface_domains``): ``'static'`` puts each atom in the domain of its mean position
    (thesis), ``'dynamic'`` counts each displacement for the domain the atom is in at its time origin.

    :param trajectory: unwrapped MD trajectory in a fixed cell (Angstrom, times in ps).
    :param domains: output of ``interface_crystallinity`` for this trajectory.
    :return: arrays ``lag_ps`` (n_frames,), ``msd_<domain>`` (n_frames, 3) Angstrom^2 along x, y, z (NaN without
        samples) and ``samples_<domain>`` (n_frames,) (atom, origin) pairs, for crystal, interface and glass.
    """
    symbols = np.array(trajectory.symbols)
    masses = np.array([atomic_masses[atomic_numbers[symbol]] for symbol in symbols])
    cells = trajectory.get_cells()
    result = ASSIGNMENTS[assignment.value](trajectory.get_positions(), cells[0],
                                           InterfaceDomains.from_dict(domains.get_dict()),
                                           np.flatnonzero(symbols == species.value), masses=masses)
    times = trajectory.get_times()
    arrays = orm.ArrayData()
    arrays.set_array('lag_ps', times - times[0])
    for index, name in enumerate(DOMAIN_NAMES):
        arrays.set_array(f'msd_{name}', result.msd[index])
        arrays.set_array(f'samples_{name}', result.samples[index])
    return arrays
