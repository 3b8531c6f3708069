"""Calcfunction: the frame and velocities a segment of pw.x MD continues from."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.calculations.pw_md import VELOCITIES_ARRAY
from aiida_lps.sampling.md_segments import verlet_restart_state

__all__ = ('md_restart_state',)


@calcfunction
def md_restart_state(trajectory: orm.TrajectoryData, n_frames: orm.Int, timestep_fs: orm.Float) -> dict:
    """``structure`` (the second-to-last of the first ``n_frames`` frames, unwrapped, Angstrom) and ``velocities``
    there (central differences, Angstrom/ps; ``aiida_lps.sampling.md_segments.verlet_restart_state``).

    :param trajectory: a pw.x MD trajectory with one frame per step.
    :param n_frames: how many of its first frames are complete (SCF converged, dynamics step done).
    :param timestep_fs: MD time step, fs.
    """
    index, values = verlet_restart_state(trajectory.get_positions()[:n_frames.value], timestep_fs.value)
    velocities = orm.ArrayData()
    velocities.set_array(VELOCITIES_ARRAY, values)
    return {'structure': trajectory.get_step_structure(index), 'velocities': velocities}
