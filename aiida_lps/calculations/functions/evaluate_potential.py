"""Calcfunction: the errors of a potential (any kind) on labelled configurations (RMSEs and parity data)."""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction
from ase.data import chemical_symbols

from aiida_lps.analysis.errors import error_metrics
from aiida_lps.analysis.motifs import atom_motif_labels
from aiida_lps.data.potentials import PotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.evaluate import predict


@calcfunction
def evaluate_potential(potential: PotentialData, configurations: TrainingSetData) -> dict:
    """Energy (meV/atom, also offset-removed) and force (eV/Angstrom, also per element and per motif) RMSEs of
    ``potential``.

    :return: ``metrics`` (Dict, see ``aiida_lps.analysis.errors.error_metrics``) and ``parity`` (ArrayData:
        ``energy_reference``/``energy_predicted`` in eV/atom, ``force_reference``/``force_predicted`` components in
        eV/Angstrom, ``force_element`` the atomic number of each component).
    :raises ValueError: naming the species the potential does not cover.
    """
    potential.check_covers(configurations.species)
    n_atoms = configurations.get_array('n_atoms')
    numbers = configurations.get_array('numbers')
    reference_forces = configurations.get_array('forces')
    energies, forces = predict(configurations.to_atoms(), potential.get_calculator())
    motifs = np.concatenate([atom_motif_labels(atoms) for atoms in configurations.to_atoms()])
    metrics = error_metrics(energies, configurations.get_energies(), n_atoms, forces, reference_forces,
                            np.array([chemical_symbols[z] for z in numbers]), motifs)
    parity = orm.ArrayData()
    parity.set_array('energy_reference', configurations.get_energies() / n_atoms)
    parity.set_array('energy_predicted', energies / n_atoms)
    parity.set_array('force_reference', reference_forces.ravel())
    parity.set_array('force_predicted', forces.ravel())
    parity.set_array('force_element', np.repeat(numbers, 3))
    return {'metrics': orm.Dict(metrics), 'parity': parity}


__all__ = ('evaluate_potential',)
