"""Calcfunction: one cell-scaling step (isotropic or along one cell vector)."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.potentials.relax import scale_cell


@calcfunction
def scale_structure(structure: orm.StructureData, factor: orm.Float, axis: orm.Int = None) -> orm.StructureData:
    """``structure`` with its cell and positions scaled by ``factor``; along cell vector ``axis`` if given."""
    return orm.StructureData(ase=scale_cell(structure.get_ase(), factor.value, None if axis is None else axis.value))
