"""Calcfunction: dissimilarity of atomic environments from a training set, to flag target regions (thesis eq. 17)."""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.soap import SoapParameters, atomic_soap, dissimilarity_from_reference
from aiida_lps.data.training_set import TrainingSetData


@calcfunction
def soap_dissimilarity(training_set: TrainingSetData, soap_parameters: orm.Dict, zeta: orm.Int,
                       center_symbols: orm.List, **structures: orm.StructureData) -> orm.ArrayData:
    """The smallest SOAP distance sqrt(2 - 2k) of every ``center_symbols`` environment of each structure to any
    environment of the same species in the training set (``aiida_lps.analysis.soap.dissimilarity_from_reference``);
    0 for an environment that is in the training set, up to sqrt(2).

    :param soap_parameters: ``SoapParameters`` fields (species, r_cut Angstrom, n_max, l_max, sigma Angstrom).
    :param center_symbols: species compared, e.g. ``['P', 'S']`` (each only with its own species; the training set
        must contain every one of them).
    :param structures: label -> structure.
    :return: arrays ``dissimilarity_<label>`` and ``atom_index_<label>`` (n_centres,) per structure.
    """
    parameters = SoapParameters(**soap_parameters.get_dict())
    reference_frames = training_set.to_atoms()
    symbols_compared = center_symbols.get_list()
    references = {symbol: np.vstack(atomic_soap(reference_frames, parameters, center_symbols=[symbol]))
                  for symbol in symbols_compared}
    arrays = orm.ArrayData()
    for label, structure in structures.items():
        atoms = structure.get_ase()
        symbols = np.array(atoms.get_chemical_symbols())
        selected = np.flatnonzero(np.isin(symbols, symbols_compared))
        dissimilarity = np.full(len(atoms), np.nan)
        for symbol in set(symbols[selected]):
            descriptors = atomic_soap([atoms], parameters, center_symbols=[symbol])[0]
            dissimilarity[symbols == symbol] = dissimilarity_from_reference(descriptors, references[symbol], zeta.value)
        arrays.set_array(f'dissimilarity_{label}', dissimilarity[selected])
        arrays.set_array(f'atom_index_{label}', selected)
    return arrays
