"""Calcfunction: the last frame of an MD trajectory, wrapped into its cell, as a ``StructureData``."""
from aiida import orm
from aiida.engine import calcfunction


@calcfunction
def last_trajectory_frame(trajectory: orm.TrajectoryData) -> orm.StructureData:
    """The final frame of ``trajectory`` (Angstrom) with the unwrapped positions wrapped back into the cell."""
    atoms = trajectory.get_step_structure(trajectory.numsteps - 1).get_ase()
    atoms.wrap()
    return orm.StructureData(ase=atoms)
