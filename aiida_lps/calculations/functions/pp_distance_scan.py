"""Calcfunction: the P-P distance scan of a P2S6^4- unit (thesis section 5.4, Figure 6)."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.structures.distortions import pp_distance_scan


@calcfunction
def pp_distance_scan_structures(structure: orm.StructureData, distances_A: orm.List) -> dict:
    """Copies of ``structure`` with one P of its first P-P pair moved along the P-P axis to each distance (Angstrom).

    :return: ``{'structure_<i>': StructureData}`` in the order of ``distances_A``.
    """
    scan = pp_distance_scan(structure.get_ase(), distances_A.get_list())
    return {f'structure_{index}': orm.StructureData(ase=atoms) for index, atoms in enumerate(scan)}


__all__ = ('pp_distance_scan_structures',)
