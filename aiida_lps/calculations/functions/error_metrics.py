"""Calcfunction: accuracy of predicted labels against reference (DFT) labels, with parity data."""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction
from ase.data import chemical_symbols

from aiida_lps.analysis.errors import error_metrics
from aiida_lps.analysis.motifs import atom_motif_labels
from aiida_lps.data.training_set import TrainingSetData


@calcfunction
def compute_error_metrics(reference: TrainingSetData, predicted: TrainingSetData) -> dict:
    """Energy RMSE (meV/atom, also offset-removed), force RMSE (eV/Angstrom) overall, per element and per motif.

    :return: ``metrics`` (Dict) and ``parity`` (ArrayData: ``energy_reference``/``energy_predicted`` in eV/atom,
        ``force_reference``/``force_predicted`` components in eV/Angstrom, ``force_element`` atomic numbers).
    """
    if reference.num_structures != predicted.num_structures or not np.array_equal(
        reference.get_array('numbers'), predicted.get_array('numbers')
    ):
        raise ValueError('reference and predicted sets must hold the same configurations in the same order')
    n_atoms = reference.get_array('n_atoms')
    motifs = np.concatenate([atom_motif_labels(atoms) for atoms in reference.to_atoms()])
    symbols = np.array([chemical_symbols[z] for z in reference.get_array('numbers')])
    metrics = error_metrics(
        predicted.get_energies(), reference.get_energies(), n_atoms,
        predicted.get_array('forces'), reference.get_array('forces'), symbols, motifs,
    )
    parity = orm.ArrayData()
    parity.set_array('energy_reference', reference.get_energies() / n_atoms)
    parity.set_array('energy_predicted', predicted.get_energies() / n_atoms)
    parity.set_array('force_reference', reference.get_array('forces').ravel())
    parity.set_array('force_predicted', predicted.get_array('forces').ravel())
    parity.set_array('force_element', np.repeat(reference.get_array('numbers'), 3))
    return {'metrics': orm.Dict(metrics), 'parity': parity}
