"""Calcfunction: seeded Maxwell-Boltzmann starting velocities of a structure (for DFT MD in pw.x)."""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.calculations.pw_md import VELOCITIES_ARRAY
from aiida_lps.sampling.md_segments import maxwell_boltzmann_velocities

__all__ = ('md_initial_velocities',)


@calcfunction
def md_initial_velocities(structure: orm.StructureData, temperature_K: orm.Float, seed: orm.Int) -> orm.ArrayData:
    """Velocities (n_sites, 3), Angstrom/ps, at exactly ``temperature_K`` (K, 3n - 3 degrees of freedom) with zero
    momentum, drawn with ``numpy.random.default_rng(seed)`` (``aiida_lps.sampling.md_segments``)."""
    masses = [site_kind.mass for site_kind in (structure.get_kind(site.kind_name) for site in structure.sites)]
    velocities = orm.ArrayData()
    velocities.set_array(VELOCITIES_ARRAY, maxwell_boltzmann_velocities(
        masses, temperature_K.value, np.random.default_rng(seed.value)))
    return velocities
