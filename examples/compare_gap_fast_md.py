"""Li diffusion from a GAP and from a fast potential (SNAP or POD) on the same cell, temperatures and velocity seeds.

Run: verdi run examples/compare_gap_fast_md.py GAP_PK FAST_PK [T_K T_K T_K ...]

Both potentials drive the same ArrheniusWorkChain settings (16-atom gamma-Li3PS4, the temperatures given (three or
more) or 600, 800 and 1000 K, 0.5 ps NVT and 5 ps NVE, seed 1), so the runs differ only by the potential. The table
gives, per temperature and potential, the mean NVE temperature, the Li MSD at half the run (comparable when neither
is diffusive), the Li tracer D with its error (or why there is none) and whether the P/S matrix flowed.
A fast potential is only worth its speed where these agree within the errors.
"""
import sys

import numpy as np
from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.structures.crystals import get_crystal
from aiida_lps.workflows.conductivity import ArrheniusWorkChain

DEFAULT_TEMPERATURES_K = [600.0, 800.0, 1000.0]
SHORT_RUNS = {'equilibration_ps': 0.5, 'production_ps': 5.0, 'min_atoms': 16, 'seed': 1}


def diffusion_cell(summary: dict) -> str:
    """One table cell: <T_NVE>, Li MSD at half the run, D +- error in A^2/ps or the reason there is none, flags."""
    msd = np.mean([run['mobile_msd_half_run_A2'] for run in summary['per_structure'].values()])
    cell = f'{summary["production_temperature_K"]:.0f} K, MSD(t/2) {msd:.2f} A^2, '
    if summary['is_diffusive']:
        cell += f'D = {summary["diffusivity_A2_per_ps"]:.3g} +- {summary["diffusivity_err_A2_per_ps"]:.2g} A^2/ps'
    else:
        cell += 'not diffusive'
    return cell + ('; matrix flows' if summary['matrix_flowing'] else '')


if len(sys.argv) < 3:
    raise SystemExit('usage: verdi run examples/compare_gap_fast_md.py GAP_PK FAST_PK [T_K T_K T_K ...]')
temperatures = [float(value) for value in sys.argv[3:]] or DEFAULT_TEMPERATURES_K
structure = orm.StructureData(ase=get_crystal('gamma-Li3PS4'))
columns = {}
for pk in sys.argv[1:3]:
    potential = orm.load_node(int(pk))
    builder = ArrheniusWorkChain.get_builder_from_protocol(
        orm.load_code('lmp@localhost'), structure, potential, temperatures, protocol='fast', overrides=SHORT_RUNS)
    results, node = run_get_node(builder)
    name = f'{potential.potential_kind}<{potential.pk}>'
    print(f'ArrheniusWorkChain<{node.pk}> with {name}: exit {node.exit_status} ({node.exit_message or "ok"})')
    columns[name] = {node['temperature_K']: node.get_dict() for node in results.get('conductivities', {}).values()}

print('T (K) | ' + ' | '.join(columns))
for temperature in temperatures:
    cells = [diffusion_cell(column[temperature]) if temperature in column else 'MD failed'
             for column in columns.values()]
    print(f'{temperature:g} | ' + ' | '.join(cells))
