"""Plain-text reading of LAMMPS logs and ``custom`` dumps (``id type xu yu zu``)."""
from __future__ import annotations

import re

import numpy as np

from aiida_lps.potentials.lammps_input import RESTART_MARK

__all__ = ('parse_thermo', 'find_error', 'find_restart_step', 'read_dump')


def parse_thermo(log: str) -> dict[str, np.ndarray]:
    """Thermo tables of all ``run`` commands in a LAMMPS log, concatenated, with a ``stage`` column.

    :return: column name -> values (LAMMPS metal units: ps, K, eV, bar, Angstrom^3); an empty dict if no table.
    """
    names, header, rows, stage = None, None, [], -1
    for line in log.splitlines():
        words = line.split()
        if words[:1] == ['Step']:
            names = header = words
            stage += 1
        elif line.startswith('Loop time'):
            header = None
        elif header is not None and len(words) == len(header):
            try:
                rows.append([float(word) for word in words] + [stage])
            except ValueError:
                continue  # a warning line that happens to have as many words
    if not rows:
        return {}
    table = np.array(rows)
    return {name: table[:, column] for column, name in enumerate([*names, 'stage'])}


def find_error(text: str) -> str | None:
    """The first ``ERROR`` line of LAMMPS output, without the source location, or None."""
    match = re.search(r'^ERROR(?: on proc \d+)?:\s*(.+?)(?:\s+\(src/.*\))?$', text, flags=re.MULTILINE)
    return match.group(1).strip() if match else None


def find_restart_step(log: str) -> int | None:
    """The step at which a run stopped at its timeout wrote its restart file (``RESTART_MARK``), or None."""
    match = re.search(rf'^{RESTART_MARK} (\d+)$', log, flags=re.MULTILINE)
    return int(match.group(1)) if match else None


def read_dump(text: str) -> dict[str, np.ndarray]:
    """Frames of a LAMMPS ``custom`` dump with ``id type xu yu zu``, sorted by id, one frame per timestep.

    :return: ``steps`` (n_frames,), ``types`` (n_atoms,), ``positions`` (n_frames, n_atoms, 3) Angstrom
        (unwrapped), ``cells`` (n_frames, 3, 3) Angstrom (LAMMPS's lower-triangular box, rows are vectors).
    """
    blocks = text.split('ITEM: TIMESTEP')[1:]
    steps, positions, cells, types = [], [], [], None
    for block in blocks:
        lines = block.strip().splitlines()
        step = int(lines[0])
        if steps and step == steps[-1]:
            continue  # a new ``run`` repeats the last frame of the previous one
        n_atoms = int(lines[2])
        box_header = lines[3]
        bounds = np.array([[float(value) for value in line.split()] for line in lines[4:7]])
        columns = lines[7].split()[2:]
        data = np.array([[float(value) for value in line.split()] for line in lines[8:8 + n_atoms]])
        data = data[np.argsort(data[:, columns.index('id')])]
        steps.append(step)
        positions.append(data[:, [columns.index(name) for name in ('xu', 'yu', 'zu')]])
        cells.append(_box_to_cell(bounds, triclinic='xy' in box_header))
        if types is None:
            types = data[:, columns.index('type')].astype(int)
    return {'steps': np.array(steps), 'types': types, 'positions': np.array(positions), 'cells': np.array(cells)}


def _box_to_cell(bounds: np.ndarray, triclinic: bool) -> np.ndarray:
    """LAMMPS dump box bounds (with tilt factors for triclinic boxes) to cell vectors as rows, Angstrom."""
    if not triclinic:
        lengths = bounds[:, 1] - bounds[:, 0]
        return np.diag(lengths)
    (xlo_b, xhi_b, xy), (ylo_b, yhi_b, xz), (zlo, zhi, yz) = bounds
    xlo = xlo_b - min(0.0, xy, xz, xy + xz)
    xhi = xhi_b - max(0.0, xy, xz, xy + xz)
    ylo = ylo_b - min(0.0, yz)
    yhi = yhi_b - max(0.0, yz)
    return np.array([[xhi - xlo, 0.0, 0.0], [xy, yhi - ylo, 0.0], [xz, yz, zhi - zlo]])
