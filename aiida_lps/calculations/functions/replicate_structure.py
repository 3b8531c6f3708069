"""Calcfunction: a structure replicated to the smallest supercell of a minimum width and number of atoms."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.structures.supercells import replicate_to_minimum_size


@calcfunction
def replicate_structure(structure: orm.StructureData, min_width_A: orm.Float, min_atoms: orm.Int) -> orm.StructureData:
    """``structure`` repeated until every perpendicular width is >= ``min_width_A`` (Angstrom) and it holds
    >= ``min_atoms`` atoms, with the fewest atoms possible (``aiida_lps.structures.supercells``)."""
    supercell = replicate_to_minimum_size(structure.get_ase(), min_width_A=min_width_A.value, min_atoms=min_atoms.value)
    return orm.StructureData(ase=supercell)
