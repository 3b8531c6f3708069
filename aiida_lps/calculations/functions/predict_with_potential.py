"""Calcfunction: energies and forces of a potential (GAP or SNAP) on a set of configurations."""
from aiida.engine import calcfunction

from aiida_lps.data.potentials import PotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.evaluate import labelled_by


@calcfunction
def predict_with_potential(potential: PotentialData, configurations: TrainingSetData) -> TrainingSetData:
    """The configurations labelled by ``potential`` (energies eV, forces eV/Angstrom), tags kept.

    :raises ValueError: naming the species the potential does not cover, before anything is computed.
    """
    potential.check_covers(configurations.species)
    predicted = labelled_by(configurations.to_atoms(), potential.get_calculator())
    return TrainingSetData.from_atoms(predicted, tags=configurations.get_tags())
