"""Born-Oppenheimer MD in segments: initial velocities, the Verlet state to continue from, and joining.

A DFT MD run is cut into segments (wall-time limits, stage changes, retries). pw.x prints no velocities, but its
Verlet integrator makes them exact central differences, v_k = (r_{k+1} - r_{k-1}) / (2 dt) (Quantum ESPRESSO
``dynamics_module``; Allen & Tildesley, Computer Simulation of Liquids, 2nd ed., section 3.2). A segment of N
frames therefore continues from its frame N-1 (index N-2) with that velocity; a new run started there with
``ion_velocities='from_input'`` takes the Verlet step r + v dt + a dt^2 / 2, which is r_N again, so the joined
trajectory neither jumps nor repeats: the segment keeps its first N-2 frames and the next one starts at N-1.
Measured on Li2S: the continued run reproduces the frames of the uninterrupted one to 1e-5 bohr.
"""
from __future__ import annotations

import numpy as np
from ase.units import _amu, _k

__all__ = ('RY_TIME_FS', 'kept_frames', 'maxwell_boltzmann_velocities', 'strided_production_frames',
           'verlet_restart_state')

#: Rydberg atomic unit of time (pw.x ``dt`` and velocities), fs: 2 hbar / E_h.
RY_TIME_FS = 2 * 2.4188843265857e-2
#: Frames a continued segment gives up: its last one (needed for the velocity) and the one it restarts from.
RESTART_OVERLAP = 2


def maxwell_boltzmann_velocities(masses_amu, temperature_K: float, rng: np.random.Generator) -> np.ndarray:
    """Velocities (n_atoms, 3), Angstrom/ps, drawn from the Maxwell-Boltzmann distribution at ``temperature_K``,
    with zero total momentum and scaled so that 2 E_kin / ((3 n - 3) k_B) is exactly ``temperature_K`` (pw.x's
    kinetic temperature, three degrees of freedom removed with the momentum).

    :param masses_amu: atomic masses, amu, shape (n_atoms,); at least two atoms.
    :param temperature_K: target temperature, K.
    :param rng: the random generator (seeded by the caller).
    """
    masses = np.asarray(masses_amu, dtype=float)
    if masses.size < 2:
        raise ValueError('a velocity distribution needs at least two atoms')
    velocities = rng.standard_normal((masses.size, 3)) / np.sqrt(masses)[:, None]
    velocities -= (masses[:, None] * velocities).sum(axis=0) / masses.sum()
    kinetic = 0.5 * np.sum(masses[:, None] * velocities**2) * _amu * 1e4  # J per (Angstrom/ps)^2 unit
    scale = np.sqrt(0.5 * (3 * masses.size - 3) * _k * temperature_K / kinetic)
    return velocities * scale


def verlet_restart_state(positions_A, timestep_fs: float) -> tuple[int, np.ndarray]:
    """Where a segment continues: the index of its second-to-last frame and the velocities there, Angstrom/ps.

    :param positions_A: the segment's unwrapped positions, shape (n_frames, n_atoms, 3), Angstrom, one frame per
        MD step; at least three frames.
    :param timestep_fs: MD time step, fs.
    :return: (index n_frames - 2, central-difference velocities (n_atoms, 3) in Angstrom/ps).
    """
    positions_A = np.asarray(positions_A, dtype=float)
    if positions_A.shape[0] <= RESTART_OVERLAP:
        raise ValueError(f'a segment of {positions_A.shape[0]} frames cannot be continued: it needs at least '
                         f'{RESTART_OVERLAP + 1} (one frame on each side of the restart frame)')
    index = positions_A.shape[0] - RESTART_OVERLAP
    velocities = (positions_A[index + 1] - positions_A[index - 1]) / (2 * timestep_fs * 1e-3)
    return index, velocities


def kept_frames(n_frames: int, continued: bool) -> int:
    """Frames of a segment that enter the joined trajectory: all but the last two when another segment continues
    from its frame n_frames - 1 (:func:`verlet_restart_state`), otherwise all of them."""
    return max(0, n_frames - RESTART_OVERLAP) if continued else n_frames


def strided_production_frames(segments: list[dict], stride_steps: int) -> list[tuple[str, int, int]]:
    """The frames of the last stage (production) at its first step and every ``stride_steps`` steps after it.

    Successive frames of an MD are correlated; frames ``stride_steps`` apart (a few vibrational periods, e.g.
    50-100 fs) are nearly independent training configurations. The earlier stages (equilibration) are left out; of
    a run that stopped before its production, the last stage it reached is taken.

    :param segments: the kept frames of each run in order: ``label``, ``kept`` (its first frames in the joined run),
        ``stage`` (0, 1, ...) and ``first_step`` (MD step of its first frame), as in ``PwMdWorkChain``'s plan.
    :param stride_steps: MD steps between chosen frames, at least 1.
    :return: ``(label, frame index within that run, MD step)`` of each chosen frame, in step order.
    """
    if stride_steps < 1:
        raise ValueError(f'stride_steps must be at least 1, got {stride_steps}')
    last = max(segment['stage'] for segment in segments)
    production = [segment for segment in segments if segment['stage'] == last]
    start = production[0]['first_step']
    return [(segment['label'], index, segment['first_step'] + index) for segment in production
            for index in range(segment['kept']) if (segment['first_step'] + index - start) % stride_steps == 0]
