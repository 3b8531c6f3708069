"""Rattled and strained copies of a structure: the simplest explorer of configuration space."""
from __future__ import annotations

import numpy as np

__all__ = ('perturbed_copies',)


def perturbed_copies(atoms, count: int, rattle_A: float, max_strain: float, rng: np.random.Generator) -> list:
    """Copies of ``atoms`` with Gaussian displacements and a random symmetric strain.

    :param count: number of copies.
    :param rattle_A: standard deviation of the Cartesian displacement of every atom, Angstrom.
    :param max_strain: bound of each component of the symmetric strain tensor (e.g. 0.03 = 3 %), dimensionless.
    :param rng: source of randomness.
    :return: ``count`` new ``ase.Atoms``, each with ``info['perturbation']`` describing what was done.
    """
    copies = []
    for index in range(count):
        strain = rng.uniform(-max_strain, max_strain, size=(3, 3))
        strain = 0.5 * (strain + strain.T)
        copy = atoms.copy()
        copy.set_cell(copy.cell.array @ (np.eye(3) + strain), scale_atoms=True)
        copy.positions += rng.normal(0.0, rattle_A, size=copy.positions.shape)
        copy.info['perturbation'] = f'copy {index}: rattle {rattle_A} A, max strain {max_strain}'
        copies.append(copy)
    return copies
