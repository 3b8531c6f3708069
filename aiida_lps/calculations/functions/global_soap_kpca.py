"""Calcfunction: 2-D kernel-PCA map of structures by their global SOAP descriptors (thesis §3.5)."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.soap import SoapParameters, global_soap, kernel_pca_map


@calcfunction
def global_soap_kpca(soap_parameters: orm.Dict, zeta: orm.Int, seed: orm.Int,
                     **structures: orm.StructureData) -> orm.ArrayData:
    """Kernel PCA with the polynomial SOAP kernel (x.y)^zeta of the normalised, atom-averaged SOAP power spectra
    (``aiida_lps.analysis.soap``).

    :param soap_parameters: ``SoapParameters`` fields (species, r_cut Angstrom, n_max, l_max, sigma Angstrom).
    :param seed: random state of the eigensolver.
    :param structures: label -> structure, at least three.
    :return: array ``coordinates`` (n_structures, 2), rows in the order of the sorted labels, which are stored in
        the attribute ``labels``.
    """
    labels = sorted(structures)
    descriptors = global_soap([structures[label].get_ase() for label in labels],
                              SoapParameters(**soap_parameters.get_dict()))
    arrays = orm.ArrayData()
    arrays.set_array('coordinates', kernel_pca_map(descriptors, zeta.value, seed=seed.value))
    arrays.base.attributes.set('labels', labels)
    return arrays
