"""Geometry relaxation and cell scaling with any ASE calculator (a GAP in production)."""
from __future__ import annotations

import numpy as np
from ase.optimize import BFGS

__all__ = ('relax_positions', 'scale_cell')


def relax_positions(atoms, calculator, fmax: float = 0.1, max_steps: int = 200, max_step_A: float = 0.2) -> dict:
    """Relax atomic positions at fixed cell with BFGS; ``atoms`` is not modified.

    :param fmax: convergence criterion on the largest atomic force, eV/Angstrom.
    :param max_steps: most BFGS steps before giving up.
    :param max_step_A: largest displacement of one BFGS step, Angstrom.
    :return: ``atoms`` (the relaxed copy, without calculator), ``energy`` (eV), ``max_force`` (eV/Angstrom),
        ``steps`` and ``converged``.
    """
    relaxed = atoms.copy()
    relaxed.calc = calculator
    optimizer = BFGS(relaxed, maxstep=max_step_A, logfile=None)
    converged = bool(optimizer.run(fmax=fmax, steps=max_steps))
    energy = float(relaxed.get_potential_energy())
    max_force = float(np.linalg.norm(relaxed.get_forces(), axis=1).max())
    relaxed.calc = None
    return {'atoms': relaxed, 'energy': energy, 'max_force': max_force, 'steps': optimizer.nsteps,
            'converged': converged}


def scale_cell(atoms, factor: float, axis: int | None = None):
    """A copy of ``atoms`` with the cell (and positions) scaled by ``factor``, along one cell vector or all.

    :param factor: linear scaling factor, e.g. 0.99 for one compression step.
    :param axis: index of the cell vector to scale (interfaces compress along the normal only); None scales all.
    """
    scaled = atoms.copy()
    cell = scaled.cell.array.copy()
    if axis is None:
        cell *= factor
    else:
        cell[axis] *= factor
    scaled.set_cell(cell, scale_atoms=True)
    return scaled
