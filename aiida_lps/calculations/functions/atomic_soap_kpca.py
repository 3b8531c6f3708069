"""Calcfunction: 2-D kernel-PCA map of atomic environments by their SOAP power spectra (thesis §3.5, Figs. 10b, 20)."""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.soap import SoapParameters, atomic_soap, kernel_pca_map


@calcfunction
def atomic_soap_kpca(soap_parameters: orm.Dict, zeta: orm.Int, seed: orm.Int, center_symbols: orm.List,
                     **structures: orm.StructureData) -> orm.ArrayData:
    """Kernel PCA with the polynomial SOAP kernel (x.y)^zeta of the normalised SOAP power spectra of every atom of
    the species ``center_symbols`` (``aiida_lps.analysis.soap``).

    :param soap_parameters: ``SoapParameters`` fields (species, r_cut Angstrom, n_max, l_max, sigma Angstrom).
    :param seed: random state of the eigensolver.
    :param center_symbols: species whose environments are mapped, e.g. ``['P']`` or ``['S']``.
    :param structures: label -> structure.
    :return: arrays ``coordinates`` (n_environments, 2), ``structure_index`` and ``atom_index`` (n_environments,)
        (index into the sorted labels, stored in the attribute ``labels``, and atom index in that structure).
    """
    labels = sorted(structures)
    frames = [structures[label].get_ase() for label in labels]
    symbols = center_symbols.get_list()
    spectra = atomic_soap(frames, SoapParameters(**soap_parameters.get_dict()), center_symbols=symbols)
    atom_indices = [np.flatnonzero(np.isin(frame.get_chemical_symbols(), symbols)) for frame in frames]
    arrays = orm.ArrayData()
    arrays.set_array('coordinates', kernel_pca_map(np.vstack(spectra), zeta.value, seed=seed.value))
    arrays.set_array('structure_index', np.repeat(np.arange(len(frames)), [len(indices) for indices in atom_indices]))
    arrays.set_array('atom_index', np.concatenate(atom_indices))
    arrays.base.attributes.set('labels', labels)
    return arrays
