"""Calcfunction: structures labelled by a potential (energies, forces), tagged so they are never taken for DFT.

The labels of indirect learning (docs/fast_potential.md, "Distillation"): a GAP labels many MD frames that a fast
potential is then fitted to, next to the DFT labels. Every configuration is tagged ``source: <kind>`` (``gap``,
``snap``, ``pod``; DFT labels carry ``source: dft``) and ``label_potential_uuid``, so that a training set mixing
both says which label came from where, and a SNAP fit can weigh them differently (``sigma_factors_by_source``).
"""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.data.potentials import PotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.evaluate import labelled_by

__all__ = ('label_with_potential', 'potential_label_tags')


def potential_label_tags(potential, structure_label: str) -> dict:
    """The tags of a configuration labelled by ``potential``: ``source`` (the kind, lower case), the potential's
    UUID and the structure's link label."""
    return {'source': potential.potential_kind.lower(), 'label_potential_uuid': potential.uuid,
            'label': structure_label}


@calcfunction
def label_with_potential(potential: PotentialData, **structures: orm.StructureData) -> TrainingSetData:
    """Energies (eV) and forces (eV/Angstrom) of ``potential`` for each of ``structures`` (label -> structure),
    in label order, each tagged by :func:`potential_label_tags`.

    :raises ValueError: naming the species the potential does not cover, before anything is computed.
    """
    labels = sorted(structures)
    frames = [structures[label].get_ase() for label in labels]
    potential.check_covers({symbol for atoms in frames for symbol in atoms.get_chemical_symbols()})
    return TrainingSetData.from_atoms(labelled_by(frames, potential.get_calculator()),
                                      tags=[potential_label_tags(potential, label) for label in labels])
