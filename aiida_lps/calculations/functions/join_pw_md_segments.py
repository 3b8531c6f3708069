"""Calcfunction: the segments of a pw.x MD joined into the outputs ``LammpsMdCalculation`` gives."""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction
from aiida_quantumespresso.calculations.pw import PwCalculation
from ase.units import Ry

from aiida_lps.parsers.lammps_md import species_msd
from aiida_lps.parsers.raw.pw_md import parse_md_steps

__all__ = ('SEGMENT_PREFIX', 'complete_steps', 'join_pw_md_segments', 'segment_steps')

#: Keyword prefixes of the per-segment inputs: ``trajectory_<label>`` and ``retrieved_<label>``.
SEGMENT_PREFIX = ('trajectory_', 'retrieved_')


def segment_steps(trajectory: orm.TrajectoryData | None, retrieved: orm.FolderData) -> dict:
    """The completed MD steps of one pw.x run: the dynamics blocks of its output (``parse_md_steps``) and
    ``potential_eV`` (the SCF total energy of each step, eV), cut to the steps that have both and a frame."""
    steps = parse_md_steps(retrieved.base.repository.get_object_content(PwCalculation._DEFAULT_OUTPUT_FILE))
    energies = (trajectory.get_array('energy') if trajectory is not None and 'energy' in trajectory.get_arraynames()
                else np.zeros(0))
    count = min(len(energies), len(steps['iteration']), trajectory.numsteps if trajectory is not None else 0)
    return {**{name: values[:count] for name, values in steps.items()}, 'potential_eV': energies[:count]}


def complete_steps(calculation: orm.CalcJobNode) -> int:
    """Number of completed MD steps (frames with an SCF energy and a dynamics step) of a pw.x MD run."""
    if 'retrieved' not in calculation.outputs:
        return 0
    trajectory = calculation.outputs.output_trajectory if 'output_trajectory' in calculation.outputs else None
    return len(segment_steps(trajectory, calculation.outputs.retrieved)['iteration'])


@calcfunction
def join_pw_md_segments(plan: orm.Dict, timestep_fs: orm.Float, dump_every: orm.Int, **segments) -> dict:
    """``trajectory`` (every ``dump_every``-th frame of the last stage, unwrapped, Angstrom, times in ps, step ids
    counted over the whole run), ``thermo`` (every kept step: Step, Time ps, Temp K, PotEng, KinEng and TotEng eV,
    Volume Angstrom^3, stage) and ``msd`` (per species, as ``LammpsMdCalculation``'s) of a segmented pw.x MD.

    :param plan: ``segments``, a list of {label, kept (frames of the segment that enter), stage, first_step}.
    :param timestep_fs: MD time step, fs.
    :param segments: ``trajectory_<label>`` (``output_trajectory``) and ``retrieved_<label>`` of each pw.x run.
    """
    positions, cells, columns = [], [], {name: [] for name in ('Step', 'Temp', 'PotEng', 'KinEng', 'TotEng', 'stage')}
    for entry in plan['segments']:
        trajectory = segments[SEGMENT_PREFIX[0] + entry['label']]
        steps = segment_steps(trajectory, segments[SEGMENT_PREFIX[1] + entry['label']])
        kept = entry['kept']
        positions.append(trajectory.get_positions()[:kept])
        cells.append(trajectory.get_cells()[:kept])
        columns['Step'].append(entry['first_step'] + np.arange(kept))
        columns['Temp'].append(steps['temperature_K'][:kept])
        columns['PotEng'].append(steps['potential_eV'][:kept])
        columns['KinEng'].append(steps['kinetic_Ry'][:kept] * Ry)
        columns['TotEng'].append(steps['conserved_Ry'][:kept] * Ry)
        columns['stage'].append(np.full(kept, entry['stage']))
    positions, cells = np.concatenate(positions), np.concatenate(cells)
    thermo = orm.ArrayData()
    for name, values in columns.items():
        thermo.set_array(name, np.concatenate(values))
    thermo.set_array('Time', thermo.get_array('Step') * timestep_fs.value / 1000.0)
    thermo.set_array('Volume', np.abs(np.linalg.det(cells)))

    stage = thermo.get_array('stage')
    stored = np.flatnonzero(stage == stage.max())[::dump_every.value]
    times_ps = thermo.get_array('Time')[stored]
    symbols = list(segments[SEGMENT_PREFIX[0] + plan['segments'][0]['label']].symbols)
    trajectory = orm.TrajectoryData()
    trajectory.set_trajectory(symbols, positions[stored], stepids=thermo.get_array('Step')[stored].astype(int),
                              cells=cells[stored], times=times_ps, pbc=(True, True, True))
    return {'trajectory': trajectory, 'thermo': thermo, 'msd': species_msd(positions[stored], symbols, times_ps)}
