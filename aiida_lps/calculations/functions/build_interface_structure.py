"""Calcfunction: a crystal | glass interface built by ``aiida_lps.structures.interface.build_interface``."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.data.potentials import PotentialData
from aiida_lps.potentials.relax import relax_positions
from aiida_lps.sampling.overlap_relax import relax_overlaps
from aiida_lps.structures.crystals import get_crystal
from aiida_lps.structures.interface import build_interface

#: Values of the ``relaxation`` input.
RELAXATIONS = ('potential', 'overlap_cleaner')


@calcfunction
def build_interface_structure(crystal: orm.Str, miller_index: orm.List, repetitions: orm.List,
                              glass_composition: orm.Str, initial_density_g_cm3: orm.Float,
                              glass_density_g_cm3: orm.Float, seed: orm.Int, relaxation: orm.Str,
                              relax_fmax: orm.Float, relax_max_steps: orm.Int,
                              potential: PotentialData = None) -> dict:
    """The interface of the library crystal ``crystal`` (facet ``miller_index``, ``repetitions`` surface cells,
    doubled along the normal) with a glass of ``glass_composition`` sampled into the void and compressed along the
    normal to ``glass_density_g_cm3`` (g/cm3).

    :param relaxation: ``'potential'``: every relaxation of the glass sampling and of the assembled interface is a
        BFGS with ``potential`` to ``relax_fmax`` (eV/Angstrom; thesis 3) or ``relax_max_steps``;
        ``'overlap_cleaner'``: the geometry cleaner ``aiida_lps.sampling.overlap_relax`` (not a model of LPS; for
        tests and demonstrations).
    :return: ``structure`` (the crystal atoms first: ``info['crystal_counts']`` of them) and ``info``
        (``InterfaceInfo``: thicknesses in Angstrom, counts, densities in g/cm3).
    """
    if relaxation.value == 'potential':
        potential.check_covers({'Li', 'P', 'S'})
        calculator = potential.get_calculator()

        def relax(atoms):
            return relax_positions(atoms, calculator, relax_fmax.value, relax_max_steps.value)['atoms']
    else:
        def relax(atoms):
            return relax_overlaps(atoms, relax_fmax.value, relax_max_steps.value)

    interface = build_interface(get_crystal(crystal.value), miller_index.get_list(), repetitions.get_list(), relax,
                                seed.value, glass_composition=glass_composition.value,
                                initial_density_g_cm3=initial_density_g_cm3.value,
                                target_density_g_cm3=glass_density_g_cm3.value)
    info = orm.Dict(interface.info.pop('interface'))
    interface.info = {}
    return {'structure': orm.StructureData(ase=interface), 'info': info}
