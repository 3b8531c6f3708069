"""Plain-text reading of pw.x ``calculation='md'`` output: the per-step dynamics block and SCF failures."""
from __future__ import annotations

import re

import numpy as np

__all__ = ('parse_md_steps', 'scf_failed')

_STEP = re.compile(
    r'Entering Dynamics:\s+iteration =\s*(\d+).*?'
    r'kinetic energy \(Ekin\)\s*=\s*(\S+) Ry.*?'
    r'temperature\s*=\s*(\S+) K.*?'
    r'Ekin \+ Etot \(const\)\s*=\s*(\S+) Ry',
    flags=re.DOTALL,
)


def parse_md_steps(stdout: str) -> dict[str, np.ndarray]:
    """The dynamics block of every completed MD step of a pw.x output, in order.

    :return: ``iteration`` (counted from 1 in this run), ``kinetic_Ry`` and ``conserved_Ry`` (E_kin and
        E_kin + E_tot, the energy Verlet conserves, Ry), ``temperature_K`` (kinetic temperature of the step's
        velocities, K); each of shape (n_steps,).
    """
    rows = [tuple(float(value) for value in match) for match in _STEP.findall(stdout)]
    columns = np.array(rows).reshape(-1, 4).T
    return {'iteration': columns[0].astype(int), 'kinetic_Ry': columns[1], 'temperature_K': columns[2],
            'conserved_Ry': columns[3]}


def scf_failed(stdout: str) -> bool:
    """True when pw.x stopped because an SCF cycle did not converge within ``electron_maxstep``."""
    return 'convergence NOT achieved' in stdout
