"""Calcfunction: the pieces of a LAMMPS MD continued after its timeout joined into the outputs of one
``LammpsMdCalculation``."""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.parsers.lammps_md import species_msd

__all__ = ('join_lammps_md_pieces', 'piece_inputs')

#: Keyword prefixes of the per-piece inputs: ``thermo_<n>`` and ``trajectory_<n>``, n = 1, 2, ... in run order.
PIECE_PREFIX = ('thermo_', 'trajectory_')


def piece_inputs(calculations) -> dict:
    """The keyword inputs of ``join_lammps_md_pieces`` for ``LammpsMdCalculation`` nodes in run order."""
    inputs = {}
    for number, calculation in enumerate(calculations, start=1):
        for prefix in PIECE_PREFIX:
            if prefix[:-1] in calculation.outputs:
                inputs[f'{prefix}{number}'] = calculation.outputs[prefix[:-1]]
    return inputs


@calcfunction
def join_lammps_md_pieces(**pieces) -> dict:
    """``thermo``, ``trajectory`` and ``msd`` (as ``LammpsMdCalculation`` outputs them) of one MD run made of pieces,
    each continued from the restart file of the one before.

    A continued piece's first thermo row is LAMMPS's line at the step it continues from: the piece before printed
    that step already if it is a thermo step, and an uninterrupted run has no row there otherwise, so it is left out.
    A frame enters once, from the first piece that dumped its step.

    :param pieces: ``thermo_<n>`` of every piece and ``trajectory_<n>`` of each that dumped frames (unwrapped,
        Angstrom, times in ps), n = 1, 2, ... in run order.
    """
    numbers = sorted(int(label[len(PIECE_PREFIX[0]):]) for label in pieces if label.startswith(PIECE_PREFIX[0]))
    tables = [pieces[f'{PIECE_PREFIX[0]}{number}'] for number in numbers]
    thermo = orm.ArrayData()
    for name in tables[0].get_arraynames():
        thermo.set_array(name, np.concatenate([table.get_array(name)[1 if index else 0:]
                                               for index, table in enumerate(tables)]))

    steps, positions, cells, times = [], [], [], []
    for number in numbers:
        piece = pieces.get(f'{PIECE_PREFIX[1]}{number}')
        if piece is None:
            continue
        new = piece.get_stepids() > (steps[-1][-1] if steps else -1)
        steps.append(piece.get_stepids()[new])
        positions.append(piece.get_positions()[new])
        cells.append(piece.get_cells()[new])
        times.append(piece.get_times()[new])
        symbols = list(piece.symbols)
    steps, positions, cells, times = (np.concatenate(values) for values in (steps, positions, cells, times))
    trajectory = orm.TrajectoryData()
    trajectory.set_trajectory(symbols, positions, stepids=steps, cells=cells, times=times, pbc=(True, True, True))
    return {'thermo': thermo, 'trajectory': trajectory, 'msd': species_msd(positions, symbols, times)}
