"""Calcfunction: energies and forces of a potential (GAP or SNAP) on a set of configurations."""
from aiida.engine import calcfunction

from aiida_lps.data.potentials import PotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.evaluate import predict
from aiida_lps.structures.labels import labelled_atoms


@calcfunction
def predict_with_potential(potential: PotentialData, configurations: TrainingSetData) -> TrainingSetData:
    """The configurations labelled by ``potential`` (energies eV, forces eV/Angstrom), tags kept.

    :raises ValueError: naming the species the potential does not cover, before anything is computed.
    """
    potential.check_covers(configurations.species)
    frames = configurations.to_atoms()
    energies, forces = predict(frames, potential.get_calculator())
    offsets = [0]
    for atoms in frames:
        offsets.append(offsets[-1] + len(atoms))
    predicted = [
        labelled_atoms(atoms, energy, forces[offsets[index]:offsets[index + 1]])
        for index, (atoms, energy) in enumerate(zip(frames, energies))
    ]
    return TrainingSetData.from_atoms(predicted, tags=configurations.get_tags())
