"""Calcfunction: partial RDFs g_ab(r) averaged over an ensemble of structures, as ArrayData.

Each structure's g_ab comes from :func:`aiida_lps.analysis.rdf.partial_rdfs`, the ensemble mean from
:func:`aiida_lps.analysis.rdf.average_partial_rdfs` (normalisation and references in ``analysis/rdf.py``).
A single structure (a crystal) is an ensemble of one.
"""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.rdf import PartialRDF, average_partial_rdfs, partial_rdfs

__all__ = ('ensemble_partial_rdfs', 'partial_rdf_from_array_data', 'partial_rdf_to_array_data')

PAIR_PREFIX = 'g_'
"""Array ``g_<a>_<b>`` holds g_ab(r) of species a <= b."""


def partial_rdf_to_array_data(rdf: PartialRDF) -> orm.ArrayData:
    """ArrayData with ``bin_edges`` (Angstrom), ``r`` (bin centres, Angstrom), one ``g_<a>_<b>`` per pair and
    the ``number_densities`` (1/Angstrom^3) as an attribute."""
    node = orm.ArrayData()
    node.set_array('bin_edges', rdf.bin_edges)
    node.set_array('r', rdf.r)
    for (first, second), values in rdf.g.items():
        node.set_array(f'{PAIR_PREFIX}{first}_{second}', values)
    node.base.attributes.set('number_densities', rdf.number_densities)
    return node


def partial_rdf_from_array_data(node: orm.ArrayData) -> PartialRDF:
    """The :class:`PartialRDF` stored by :func:`partial_rdf_to_array_data`."""
    g = {tuple(name.removeprefix(PAIR_PREFIX).split('_')): node.get_array(name)
         for name in node.get_arraynames() if name.startswith(PAIR_PREFIX)}
    return PartialRDF(np.asarray(node.get_array('bin_edges')), g, node.base.attributes.get('number_densities'))


@calcfunction
def ensemble_partial_rdfs(r_max: orm.Float, n_bins: orm.Int, **structures: orm.StructureData) -> orm.ArrayData:
    """Mean partial RDFs of ``structures`` (taken in label order) from 0 to ``r_max`` (Angstrom) in ``n_bins`` bins.

    :raises ValueError: if the structures do not all contain the same species.
    """
    rdfs = [partial_rdfs(structures[label].get_ase(), r_max.value, n_bins.value) for label in sorted(structures)]
    return partial_rdf_to_array_data(average_partial_rdfs(rdfs))
