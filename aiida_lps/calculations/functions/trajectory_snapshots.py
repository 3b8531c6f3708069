"""Calcfunction: every frame of an MD trajectory as its own ``StructureData`` (the candidates of one MD explorer)."""
from aiida import orm
from aiida.engine import calcfunction


@calcfunction
def trajectory_snapshots(trajectory: orm.TrajectoryData) -> dict:
    """``{'snapshot_<step index>': StructureData}`` for each frame of ``trajectory`` (positions in Angstrom).

    The MD is dumped at the snapshot spacing, so the frames are already spaced to decorrelate.
    """
    return {f'snapshot_{index}': trajectory.get_step_structure(index) for index in range(trajectory.numsteps)}


__all__ = ('trajectory_snapshots',)
