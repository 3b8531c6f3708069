"""Calcfunction: crystallinity profile F(z) of an interface trajectory and its crystal / interface / glass domains."""
from aiida import orm
from aiida.engine import calcfunction
from ase import Atoms

from aiida_lps.analysis.interface_domains import interface_profile


@calcfunction
def interface_crystallinity(trajectory: orm.TrajectoryData, n_slices: orm.Int, symbol: orm.Str, sigma_A: orm.Float,
                            n_peaks: orm.Int, low_level: orm.Float, high_level: orm.Float) -> dict:
    """F(z) of the ``symbol`` sublattice in ``n_slices`` slices along the third cell vector, averaged over the frames
    (thesis eq. 23, ``aiida_lps.analysis.amorphisation``), and the domains it implies
    (``aiida_lps.analysis.interface_domains.crystallinity_domains``; relative levels ``low_level``, ``high_level``).

    :param sigma_A: Gaussian smearing, Angstrom.
    :return: ``profile`` (ArrayData ``height_A`` and ``crystallinity`` (n_slices,), ``bragg_indices``
        (n_peaks, 2)) and ``domains`` (Dict: ``boundaries_A``, ``labels``, ``names``, ``interface_widths_A``,
        ``slice_thickness_A``).
    """
    frames = [Atoms(list(trajectory.symbols), positions=positions, cell=cell, pbc=True)
              for positions, cell in zip(trajectory.get_positions(), trajectory.get_cells())]
    profile, domains = interface_profile(frames, n_slices.value, symbol=symbol.value, sigma=sigma_A.value,
                                         n_peaks=n_peaks.value, low=low_level.value, high=high_level.value)
    arrays = orm.ArrayData()
    arrays.set_array('height_A', profile.slice_centres)
    arrays.set_array('crystallinity', profile.crystallinity)
    arrays.set_array('bragg_indices', profile.bragg_indices)
    summary = {**domains.as_dict(), 'interface_widths_A': domains.interface_widths_A.tolist(),
               'slice_thickness_A': profile.slice_thickness}
    return {'profile': arrays, 'domains': orm.Dict(summary)}
