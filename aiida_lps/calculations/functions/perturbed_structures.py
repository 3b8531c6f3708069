"""Calcfunction: rattled and strained copies of a structure, seeded so that the result is reproducible."""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.structures.perturb import perturbed_copies


@calcfunction
def perturbed_structures(
    structure: orm.StructureData, count: orm.Int, rattle: orm.Float, max_strain: orm.Float, seed: orm.Int
) -> dict:
    """``count`` copies of ``structure`` rattled by ``rattle`` (Angstrom) and strained by up to ``max_strain``.

    :return: ``{'structure_<i>': StructureData}``.
    """
    copies = perturbed_copies(
        structure.get_ase(), count.value, rattle.value, max_strain.value, np.random.default_rng(seed.value)
    )
    return {f'structure_{index}': orm.StructureData(ase=atoms) for index, atoms in enumerate(copies)}
