"""Cost of one pw.x Born-Oppenheimer MD step on this machine (PwMdWorkChain, 1 MPI rank, NVE).

Usage: ``verdi run benchmarks/aimd_cost.py CRYSTAL LABELLING_PROTOCOL STEPS`` (e.g. ``gamma-Li3PS4 fast 6``), or
``verdi run benchmarks/aimd_cost.py PK`` for a finished PwMdWorkChain.
Prints, from pw.x's own clock: the set-up time, the CPU and wall seconds per MD step after the first (wave-function
and charge extrapolation at work), SCF iterations per step, and the NVE energy span.
"""
import re
import sys

import numpy as np
from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.structures.crystals import get_crystal
from aiida_lps.workflows.pw_md import PwMdWorkChain


def qe_seconds(stdout: str, routine: str) -> tuple[float, float]:
    """CPU and wall seconds of ``routine`` in pw.x's timing report (``1h 2m``, ``1m21.45s`` or ``3.20s``)."""
    cpu, wall = re.search(rf'{routine}\s+:\s+(.+?) CPU\s+(.+?) WALL', stdout).groups()
    return tuple(sum(float(value) * {'h': 3600, 'm': 60, 's': 1}[unit]
                     for value, unit in re.findall(r'([\d.]+)([hms])', text)) for text in (cpu, wall))


def report(node) -> str:
    """Set-up, per-step CPU and wall time, SCF iterations and NVE energy span of a finished PwMdWorkChain."""
    calculation = next(child for child in node.called if isinstance(child, orm.CalcJobNode))
    stdout = calculation.outputs.retrieved.base.repository.get_object_content('aiida.out')
    (init_cpu, init_wall), (total_cpu, total_wall) = qe_seconds(stdout, 'init_run'), qe_seconds(stdout, 'PWSCF')
    n_steps = len(re.findall(r'Entering Dynamics', stdout))
    iterations = [int(n) for n in re.findall(r'convergence has been achieved in\s+(\d+) iterations', stdout)]
    n_atoms = len(node.inputs.structure.sites)
    span = 1000 * np.ptp(node.outputs.thermo.get_array('TotEng')) / n_atoms
    return (f'{n_atoms} atoms, {n_steps} steps of {node.inputs.md.timestep_fs.value:g} fs, PwMdWorkChain<{node.pk}>: '
            f'set-up {init_wall:.1f} s wall; per step {(total_cpu - init_cpu) / n_steps:.2f} s CPU, '
            f'{(total_wall - init_wall) / n_steps:.2f} s wall; SCF iterations: first {iterations[0]}, then '
            f'{np.mean(iterations[1:]):.1f} on average; NVE span of E_kin + E_tot {span:.3f} meV/atom')


if len(sys.argv) == 2:
    print(report(orm.load_node(int(sys.argv[1]))))
else:
    crystal, labelling, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    builder = PwMdWorkChain.get_builder_from_protocol(
        orm.load_code('pw@localhost'), orm.StructureData(ase=get_crystal(crystal)), 800.0, protocol='fast',
        overrides={'labelling_protocol': labelling, 'equilibration_steps': 0, 'production_steps': steps, 'seed': 1,
                   'timestep_fs': 2.0})
    _, node = run_get_node(builder)
    print(f'{crystal}, {labelling} labels: {report(node)}')
