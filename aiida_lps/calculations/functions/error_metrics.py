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
    return errors_and_parity(reference, predicted.get_energies(), predicted.get_array('forces'))


def errors_and_parity(reference: TrainingSetData, energies: np.ndarray, forces: np.ndarray) -> dict:
    """``metrics`` (Dict: energy RMSEs, meV/atom; force RMSEs, eV/Angstrom, overall, per element and per motif) and
    ``parity`` (ArrayData) of predicted ``energies`` (eV, per configuration) and ``forces`` (eV/Angstrom, per atom of
    all configurations) against the labels of ``reference``."""
    n_atoms = reference.get_array('n_atoms')
    numbers = reference.get_array('numbers')
    reference_forces = reference.get_array('forces')
    motifs = np.concatenate([atom_motif_labels(atoms) for atoms in reference.to_atoms()])
    metrics = error_metrics(energies, reference.get_energies(), n_atoms, forces, reference_forces,
                            np.array([chemical_symbols[z] for z in numbers]), motifs)
    parity = orm.ArrayData()
    parity.set_array('energy_reference', reference.get_energies() / n_atoms)
    parity.set_array('energy_predicted', np.asarray(energies) / n_atoms)
    parity.set_array('force_reference', reference_forces.ravel())
    parity.set_array('force_predicted', np.asarray(forces).ravel())
    parity.set_array('force_element', np.repeat(numbers, 3))
    return {'metrics': orm.Dict(metrics), 'parity': parity}
