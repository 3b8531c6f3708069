"""Calcfunction: partial RDFs around the atoms of the crystal, interface and glass domains of a trajectory."""
from aiida import orm
from aiida.engine import calcfunction
from ase import Atoms

from aiida_lps.analysis.interface_domains import InterfaceDomains, domain_partial_rdfs


@calcfunction
def interface_region_rdfs(trajectory: orm.TrajectoryData, domains: orm.Dict, r_max_A: orm.Float,
                          n_bins: orm.Int) -> orm.ArrayData:
    """g_ab(r) around the a atoms in each domain, time averaged
    (``aiida_lps.analysis.interface_domains.domain_partial_rdfs``).

    :param domains: output of ``interface_crystallinity`` for this trajectory.
    :param r_max_A: largest distance, Angstrom.
    :return: arrays ``r_A`` (n_bins,) and ``g_<domain>_<a>_<b>`` (n_bins,) for the domains present (NaN where a
        domain held no a atom).
    """
    frames = [Atoms(list(trajectory.symbols), positions=positions, cell=cell, pbc=True)
              for positions, cell in zip(trajectory.get_positions(), trajectory.get_cells())]
    rdfs = domain_partial_rdfs(frames, InterfaceDomains.from_dict(domains.get_dict()), r_max_A.value, n_bins.value)
    arrays = orm.ArrayData()
    arrays.set_array('r_A', next(iter(rdfs.values())).r)
    for name, rdf in rdfs.items():
        for (a, b), g in rdf.g.items():
            arrays.set_array(f'g_{name}_{a}_{b}', g)
    return arrays
