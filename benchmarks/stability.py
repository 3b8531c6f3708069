"""Stability of a potential in long MD (issue 23 acceptance): NVT equilibration, then NVE, per cell and temperature.

For a potential node of the default AiiDA profile (GAP, SNAP or POD; PK or UUID) every cell of ``--structures``
runs, at every temperature of ``--temperatures``, one ``LammpsMdBaseWorkChain`` (``lps.lammps_md_base``; its
lost-atom retry off, since a hole in the potential loses atoms at any time step) with the NVT-then-NVE settings of
the Arrhenius work chain (``aiida_lps.workflows.conductivity.md_parameters``: Nose-Hoover NVT, velocities scaled
to the NVT mean energy, NVE stored every ``--dump-fs``). The cells, all of at least ``--min-atoms`` atoms:

- ``beta-Li3PS4`` and ``Li7P3S11``: the library crystals (``aiida_lps.structures.crystals``) replicated with
  ``replicate_structure`` (fewest atoms with >= ``--min-atoms``);
- ``glass``: a Li3PS4 glass of ``--min-atoms / 8`` formula units sampled by thesis Scheme 2
  (``aiida_lps.sampling.glass.sample_glass``) with the potential-free contact cleaner ``relax_overlaps`` for the
  compression steps, so every potential starts from the same glass (seed ``--glass-seed``); or ``--glass PK``.

Per run it prints, and writes to ``benchmarks/results/stability_<potential uuid>.json``: lost atoms, the closest
pair over the stored NVE frames (>= 1.6 Angstrom), the mean NVE temperature against the target (within 5 %), the
P-S bonds and connectivity motif fractions at the start and in the last frame, the wall time, the node PKs, and
whether the run holds (``aiida_lps.analysis.stability``). Every run is a node: ``verdi process show PK``.

Run from the repository root with the project's environment (the defaults are the acceptance runs, about 10 x the
100 ps of NVE per cell and temperature for a GAP: hours per run); a smoke run:
``OMP_NUM_THREADS=1 python benchmarks/stability.py POTENTIAL --nvt-ps 0.1 --nve-ps 0.2 --temperatures 300``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import sys
import time

from aiida import load_profile, orm
from aiida.engine import run_get_node

load_profile()

from aiida_lps.analysis.stability import (
    anion_summary,
    closest_pair_over_frames,
    stability_verdict,
)
from aiida_lps.calculations.functions.replicate_structure import replicate_structure
from aiida_lps.sampling.glass import sample_glass
from aiida_lps.sampling.overlap_relax import relax_overlaps
from aiida_lps.structures.building_blocks import glass_recipe
from aiida_lps.structures.crystals import get_crystal
from aiida_lps.workflows.conductivity import md_parameters
from aiida_lps.workflows.distillation import md_failure
from aiida_lps.workflows.lammps_md_base import LammpsMdBaseWorkChain

CRYSTALS = ('beta-Li3PS4', 'Li7P3S11')
GLASS = 'glass'
RESULTS = pathlib.Path(__file__).parent / 'results'


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('potential', help='PK or UUID of a GapPotentialData, SnapPotentialData or PodPotentialData')
    parser.add_argument('--structures', nargs='+', default=[*CRYSTALS, GLASS], choices=[*CRYSTALS, GLASS])
    parser.add_argument('--temperatures', nargs='+', type=float, default=[300.0, 600.0, 900.0], help='K')
    parser.add_argument('--nvt-ps', type=float, default=10.0, help='NVT equilibration, ps')
    parser.add_argument('--nve-ps', type=float, default=100.0, help='NVE run, ps')
    parser.add_argument('--timestep-fs', type=float, default=2.0)
    parser.add_argument('--damping-fs', type=float, default=200.0, help='Nose-Hoover damping time, fs')
    parser.add_argument('--dump-fs', type=float, default=100.0, help='time between stored NVE frames, fs')
    parser.add_argument('--min-atoms', type=int, default=128)
    parser.add_argument('--glass-seed', type=int, default=1)
    parser.add_argument('--glass', type=str, default=None, help='PK or UUID of a glass StructureData to use instead')
    parser.add_argument('--seed', type=int, default=1, help='velocity seed of run k is seed + k')
    parser.add_argument('--code', default='lmp@localhost')
    parser.add_argument('--output', type=pathlib.Path, default=None, help='JSON path (default: benchmarks/results/)')
    return parser.parse_args(argv)


def sampled_glass(n_atoms: int, seed: int) -> orm.StructureData:
    """A stored Li3PS4 glass of ``n_atoms / 8`` formula units (Scheme 2, contact cleaner), its recipe in extras."""
    n_formula_units = n_atoms // 8
    atoms = sample_glass(glass_recipe('Li3PS4', n_formula_units), relax_overlaps, seed)
    structure = orm.StructureData(ase=atoms).store()
    info = atoms.info['glass_sampling']
    structure.base.extras.set_many({'stability_benchmark_glass': {
        'composition': 'Li3PS4', 'n_formula_units': n_formula_units, 'seed': seed, 'relax': 'relax_overlaps',
        'final_density_g_cm3': info['final_density_g_cm3']}})
    return structure


def benchmark_structures(args) -> dict:
    """Label -> stored StructureData of at least ``--min-atoms`` atoms."""
    structures = {}
    for name in args.structures:
        if name == GLASS:
            structures[name] = orm.load_node(args.glass) if args.glass else sampled_glass(args.min_atoms,
                                                                                          args.glass_seed)
        else:
            structures[name] = replicate_structure(orm.StructureData(ase=get_crystal(name)), orm.Float(0.0),
                                                   orm.Int(args.min_atoms))
    return structures


def run_one(args, code, potential, structure, temperature_K: float, seed: int) -> dict:
    """One NVT + NVE run and its checks."""
    parameters = md_parameters(temperature_K, seed, timestep_fs=args.timestep_fs, equilibration_ps=args.nvt_ps,
                               thermostat_damping_fs=args.damping_fs, production_ps=args.nve_ps,
                               dump_interval_fs=args.dump_fs)
    inputs = {'lammps': {'code': code, 'structure': structure, 'potential': potential,
                         'parameters': orm.Dict(parameters)},
              'handler_overrides': orm.Dict({'handle_lost_atoms': {'enabled': False}})}
    start = time.perf_counter()
    results, node = run_get_node(LammpsMdBaseWorkChain, **inputs)
    wall_s = time.perf_counter() - start
    failure = md_failure(node)
    lost = failure == 'lost atoms'
    row = {'workchain_pk': node.pk, 'workchain_uuid': node.uuid, 'structure_pk': structure.pk,
           'n_atoms': len(structure.sites), 'temperature_K': temperature_K, 'seed': seed, 'wall_s': round(wall_s, 1),
           'lost_atoms': lost, 'failure': failure, 'closest_pair_A': None, 'closest_pair_frame': None,
           'mean_nve_temperature_K': None, 'start': anion_summary(structure.get_ase()), 'end': None}
    if failure and not lost:
        row['verdict'] = {'holds': False}
        return row
    if not lost:
        trajectory = results['trajectory']
        frames = [trajectory.get_step_structure(index).get_ase() for index in range(trajectory.numsteps)]
        row['closest_pair_A'], row['closest_pair_frame'] = closest_pair_over_frames(frames)
        thermo = results['thermo']
        nve = thermo.get_array('stage') == thermo.get_array('stage').max()
        row['mean_nve_temperature_K'] = float(thermo.get_array('Temp')[nve].mean())
        row['end'] = anion_summary(frames[-1])
    row['verdict'] = stability_verdict(lost_atoms=lost, closest_pair_A=row['closest_pair_A'],
                                       mean_temperature_K=row['mean_nve_temperature_K'],
                                       target_temperature_K=temperature_K, start=row['start'], end=row['end'])
    return row


def line(label: str, row: dict) -> str:
    """One printed line per run."""
    if row['failure'] and not row['lost_atoms']:
        return f'{label:>12} {row["temperature_K"]:6.0f} K  FAILED {row["failure"]} (workchain {row["workchain_pk"]})'
    if row['lost_atoms']:
        return (f'{label:>12} {row["temperature_K"]:6.0f} K  lost atoms: yes  wall {row["wall_s"]:7.1f} s  '
                f'FAILS (workchain {row["workchain_pk"]})')
    start, end = row['start'], row['end']
    motifs = ', '.join(f'{motif} {start["motif_fractions"][motif]:.2f}->{end["motif_fractions"][motif]:.2f}'
                       for motif in start['motif_fractions']
                       if start['motif_fractions'][motif] or end['motif_fractions'][motif])
    excess = 100 * (row['mean_nve_temperature_K'] / row['temperature_K'] - 1)
    return (f'{label:>12} {row["temperature_K"]:6.0f} K  lost atoms: no  closest pair {row["closest_pair_A"]:.2f} A  '
            f'NVE <T> {row["mean_nve_temperature_K"]:7.1f} K ({excess:+.1f} %)  '
            f'P-S bonds {start["ps_bonds"]}->{end["ps_bonds"]}  motifs {motifs}  wall {row["wall_s"]:7.1f} s  '
            f'{"holds" if row["verdict"]["holds"] else "FAILS"} (workchain {row["workchain_pk"]})')


def main(argv=None) -> int:
    args = arguments(argv)
    potential = orm.load_node(args.potential)
    code = orm.load_code(args.code)
    structures = benchmark_structures(args)
    print(f'{type(potential).__name__}<{potential.pk}> ({potential.uuid}); NVT {args.nvt_ps} ps + NVE {args.nve_ps} ps '
          f'at {args.timestep_fs} fs; cells: ' + ', '.join(f'{label} {len(s.sites)} atoms <{s.pk}>'
                                                           for label, s in structures.items()))
    runs, index = [], 0
    for label, structure in structures.items():
        for temperature_K in args.temperatures:
            row = run_one(args, code, potential, structure, temperature_K, args.seed + index)
            row['structure'] = label
            runs.append(row)
            print(line(label, row), flush=True)
            index += 1
    settings = {key: value for key, value in vars(args).items() if key not in ('potential', 'output')}
    summary = {'potential_pk': potential.pk, 'potential_uuid': potential.uuid,
               'potential_type': type(potential).__name__,
               'date': datetime.datetime.now().isoformat(timespec='seconds'), 'settings': settings,
               'runs': runs, 'all_hold': all(row['verdict']['holds'] for row in runs)}
    output = args.output or RESULTS / f'stability_{potential.uuid[:8]}.json'
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(summary, indent=1, default=str) + '\n')
    print(f'{sum(row["verdict"]["holds"] for row in runs)} of {len(runs)} runs hold; written {output}')
    return 0 if summary['all_hold'] else 1


if __name__ == '__main__':
    sys.exit(main())
