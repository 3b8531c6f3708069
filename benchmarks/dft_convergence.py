"""Convergence and cost of the DFT labels: plane-wave cutoff and k-point spacing, with the project's pseudopotentials.

Run on a profile made by ``aiida-lps setup`` (results go to a JSON file as they arrive, so a stopped run resumes)::

    verdi run benchmarks/dft_convergence.py [--output dft_convergence.json] [--ranks 2] [--settings 40:0.4]

Three structures, each labelled through ``DftLabellingWorkChain`` (PwBaseWorkChain, the production path):

- ``beta``: beta-Li3PS4 (32 atoms), every atom displaced by a Gaussian of 0.10 Angstrom (about the thermal amplitude
  of S and P at 600 K; stands in for an MD snapshot), seed 11;
- ``glass``: a Li3PS4 glass of 4 formula units (32 atoms) sampled from PS4 blocks at 1.8 g/cm3 with the overlap
  cleaner (seed 5), then rattled by 0.05 Angstrom;
- ``li4p2s6``: Li4P2S6 doubled along c (24 atoms; P2S6(4-) with its P-P bond), rattled by 0.10 Angstrom.

Two series per structure, each against its own reference: the cutoff series at the Gamma point (ecutwfc 30, 35, 40,
50 Ry, ecutrho = 8 ecutwfc, against 60/480 Ry) and the k-point series at 30/240 Ry (Gamma, k-spacing 0.5 and 0.4
1/Angstrom, against 0.3; aiida's k-spacing includes the 2 pi). Basis-set and Brillouin-zone errors are nearly
independent, so the error of a setting (ecut, k) against (60 Ry, 0.3) is estimated as the root sum of squares of
the two series' errors, and its cost from the two series' CPU times. ``--ranks 1 --settings 40:0.4`` times one
setting on another rank count.
Printed: force RMSE and max component error (eV/Angstrom), energy error (meV/atom), CPU and wall seconds of pw.x
(from its output), the node PKs; then the combined estimates and the timings by rank count.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys

import numpy as np
from aiida import load_profile, orm
from aiida.engine import run_get_node

from aiida_lps.sampling.glass import sample_glass
from aiida_lps.sampling.overlap_relax import relax_overlaps
from aiida_lps.structures.building_blocks import glass_recipe
from aiida_lps.structures.crystals import get_crystal
from aiida_lps.workflows.labelling import DftLabellingWorkChain

GAMMA = 100.0  # 1/Angstrom: a 1x1x1 mesh
REFERENCE_CUTOFF = 60.0
REFERENCE_SPACING = 0.3
CUTOFFS = (30.0, 35.0, 40.0, 50.0)
SPACINGS = (GAMMA, 0.5, 0.4)
DUAL = 8.0


def structures() -> dict:
    """The three benchmark structures (see the module docstring), as ``ase.Atoms``."""
    rng = np.random.default_rng(11)
    beta = get_crystal('beta-Li3PS4')
    beta.positions += rng.normal(0.0, 0.10, beta.positions.shape)
    glass = sample_glass(glass_recipe('Li3PS4', 4), relax_overlaps, seed=5)
    glass = glass.__class__(glass.numbers, glass.positions, cell=glass.cell, pbc=True)
    glass.positions += rng.normal(0.0, 0.05, glass.positions.shape)
    li4p2s6 = get_crystal('Li4P2S6').repeat((1, 1, 2))
    li4p2s6.positions += rng.normal(0.0, 0.10, li4p2s6.positions.shape)
    return {'beta': beta, 'glass': glass, 'li4p2s6': li4p2s6}


def settings() -> list[tuple[float, float]]:
    """(ecutwfc in Ry, k-spacing in 1/Angstrom) of both series and their references, cheapest first."""
    cutoff_series = [(cutoff, GAMMA) for cutoff in (*CUTOFFS, REFERENCE_CUTOFF)]
    spacing_series = [(CUTOFFS[0], spacing) for spacing in (*SPACINGS[1:], REFERENCE_SPACING)]
    return cutoff_series + spacing_series


def key(label: str, cutoff: float, spacing: float, ranks: int) -> str:
    return f'{label}/{cutoff:g}Ry/k{spacing:g}/np{ranks}'


def label_one(code, label: str, atoms, cutoff: float, spacing: float, ranks: int) -> dict:
    """Run one SCF through DftLabellingWorkChain; return energy (eV), forces (eV/Angstrom), timings and PKs."""
    overrides = {
        'kpoints_distance': spacing,
        'conv_thr_per_atom': 1.0e-10,
        'pw_base': {'pw': {'parameters': {'SYSTEM': {'ecutwfc': cutoff, 'ecutrho': DUAL * cutoff}}}},
    }
    builder = DftLabellingWorkChain.get_builder_from_protocol(
        code, {label: orm.StructureData(ase=atoms)}, protocol='fast', overrides=overrides,
        options={'resources': {'num_machines': 1, 'num_mpiprocs_per_machine': ranks}},
    )
    _, node = run_get_node(builder)
    if not node.is_finished_ok:
        raise RuntimeError(f'DftLabellingWorkChain<{node.pk}> failed: exit {node.exit_status} {node.exit_message}')
    frame = node.outputs.training_set.to_atoms()[0]
    pw_calc = [c for c in node.called_descendants if c.process_type.endswith('quantumespresso.pw')][-1]
    output = pw_calc.outputs.output_parameters.get_dict()
    return {
        'energy_eV': float(frame.get_potential_energy()),
        'forces_eV_A': frame.get_forces().tolist(),
        'n_atoms': len(frame),
        'wall_s': float(output['wall_time_seconds']),
        'cpu_s': _cpu_seconds(pw_calc),
        'n_kpoints': int(output['number_of_k_points']),
        'mesh': mesh(atoms, spacing),
        'workchain_pk': node.pk,
        'workchain_uuid': node.uuid,
        'pw_pk': pw_calc.pk,
    }


def mesh(atoms, spacing: float) -> list[int]:
    """The Monkhorst-Pack mesh that aiida's ``kpoints_distance`` ``spacing`` (1/Angstrom) gives for ``atoms``."""
    kpoints = orm.KpointsData()
    kpoints.set_cell_from_structure(orm.StructureData(ase=atoms))
    kpoints.set_kpoints_mesh_from_density(spacing)
    return list(kpoints.get_kpoints_mesh()[0])


def _cpu_seconds(pw_calc) -> float | None:
    """CPU seconds of rank 0 from pw.x's closing ``PWSCF : ... CPU ... WALL`` line."""
    text = pw_calc.outputs.retrieved.get_object_content('aiida.out')
    for line in reversed(text.splitlines()):
        if line.strip().startswith('PWSCF') and 'CPU' in line:
            return _seconds(line.split(':', 1)[1].split('CPU')[0])
    return None


def _seconds(text: str) -> float:
    """pw.x's time format ('1m23.45s', '1h 2m', '12.3s') in seconds."""
    total, number = 0.0, ''
    for char in text.replace(' ', ''):
        if char in 'hms':
            total += float(number) * {'h': 3600.0, 'm': 60.0, 's': 1.0}[char]
            number = ''
        else:
            number += char
    return total


def errors(result: dict, reference: dict) -> dict:
    """Force RMSE and max component error (eV/Angstrom) and energy error (meV/atom) against ``reference``."""
    difference = np.array(result['forces_eV_A']) - np.array(reference['forces_eV_A'])
    return {
        'force_rmse': float(np.sqrt(np.mean(difference ** 2))),
        'force_max': float(np.abs(difference).max()),
        'energy_meV_atom': 1000.0 * (result['energy_eV'] - reference['energy_eV']) / result['n_atoms'],
    }


def table(results: dict, labels, ranks: int) -> str:
    """Both series, each row against its series' reference, as Markdown."""
    rows = ['| structure | ecutwfc/ecutrho (Ry) | k-spacing (1/A) | k-points | F RMSE (eV/A) | F max (eV/A) | '
            'dE (meV/atom) | pw.x wall (s) | CPU (s) | PK |', '|' + '---|' * 10]
    for label in labels:
        for series_reference, members in (
            ((REFERENCE_CUTOFF, GAMMA), [(cutoff, GAMMA) for cutoff in (*CUTOFFS, REFERENCE_CUTOFF)]),
            ((CUTOFFS[0], REFERENCE_SPACING), [(CUTOFFS[0], spacing) for spacing in (*SPACINGS, REFERENCE_SPACING)]),
        ):
            reference = results.get(key(label, *series_reference, ranks))
            for cutoff, spacing in members:
                result = results.get(key(label, cutoff, spacing, ranks))
                if result is None:
                    continue
                error = errors(result, reference) if reference else None
                cells = [f'{error[name]:.3f}' if error else 'n/a'
                         for name in ('force_rmse', 'force_max')]
                cells.append(f'{error["energy_meV_atom"]:.1f}' if error else 'n/a')
                spacing_text = 'Gamma' if spacing == GAMMA else f'{spacing:g}'
                reference_mark = ' (ref)' if (cutoff, spacing) == series_reference else ''
                rows.append(f'| {label} | {cutoff:g}/{DUAL * cutoff:g}{reference_mark} | {spacing_text} | '
                            f'{result["n_kpoints"]} | {" | ".join(cells)} | {result["wall_s"]:.0f} | '
                            f'{result["cpu_s"] or float("nan"):.0f} | {result["workchain_pk"]} |')
    return '\n'.join(rows)


def combined_table(results: dict, labels, ranks: int, tolerance: float = 0.03) -> str:
    """Every (cutoff, k-spacing) candidate: force RMSE against (60 Ry, reference spacing) estimated as the root sum
    of squares of the two series' errors, and the cost estimated as CPU(30 Ry, k) x CPU(ecut, Gamma) / CPU(30 Ry,
    Gamma); rows within ``tolerance`` (eV/Angstrom) are marked."""
    rows = ['| structure | ecutwfc (Ry) | k-spacing (1/A) | mesh | est. F RMSE (eV/A) | est. CPU (s) | within |',
            '|' + '---|' * 7]
    for label in labels:
        cutoff_reference = results.get(key(label, REFERENCE_CUTOFF, GAMMA, ranks))
        spacing_reference = results.get(key(label, CUTOFFS[0], REFERENCE_SPACING, ranks))
        gamma = results.get(key(label, CUTOFFS[0], GAMMA, ranks))
        if not (cutoff_reference and spacing_reference and gamma):
            continue
        for spacing in SPACINGS:
            k_result = results.get(key(label, CUTOFFS[0], spacing, ranks))
            for cutoff in CUTOFFS:
                cut_result = results.get(key(label, cutoff, GAMMA, ranks))
                if not (k_result and cut_result):
                    continue
                rmse = float(np.hypot(errors(cut_result, cutoff_reference)['force_rmse'],
                                      errors(k_result, spacing_reference)['force_rmse']))
                cpu = k_result['cpu_s'] * cut_result['cpu_s'] / gamma['cpu_s']
                spacing_text = 'Gamma' if spacing == GAMMA else f'{spacing:g}'
                mesh_text = 'x'.join(str(n) for n in k_result['mesh'])
                rows.append(f'| {label} | {cutoff:g} | {spacing_text} | {mesh_text} | {rmse:.3f} | {cpu:.0f} | '
                            f'{"yes" if rmse <= tolerance else ""} |')
    return '\n'.join(rows)


def timing_table(results: dict) -> str:
    """pw.x wall and CPU seconds of every setting run on more than one rank count, by rank count."""
    by_setting = {}
    for name, result in results.items():
        setting, _, ranks = name.rpartition('/np')
        by_setting.setdefault(setting, {})[int(ranks)] = result
    rows = ['| structure / setting | ranks | wall (s) | CPU per rank (s) | PK |', '|' + '---|' * 5]
    for setting, runs in sorted(by_setting.items()):
        if len(runs) > 1:
            rows += [f'| {setting} | {ranks} | {run["wall_s"]:.0f} | {run["cpu_s"]:.0f} | {run["workchain_pk"]} |'
                     for ranks, run in sorted(runs.items())]
    return '\n'.join(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--output', default='dft_convergence.json', help='JSON file of results (resumed if present)')
    parser.add_argument('--ranks', type=int, default=2, help='MPI ranks of pw.x')
    parser.add_argument('--only', nargs='*', help='structure labels to run (default: all)')
    parser.add_argument('--settings', nargs='*', metavar='ECUT:SPACING',
                        help='run only these settings (e.g. 40:0.4), for timings on other rank counts')
    args = parser.parse_args(argv)
    load_profile()
    code = orm.load_code('pw@localhost')
    path = pathlib.Path(args.output)
    results = json.loads(path.read_text()) if path.exists() else {}
    frames = structures()
    for name, result in results.items():  # results of earlier versions of this script lack the mesh
        label, _, spacing, _ = name.split('/')
        result.setdefault('mesh', mesh(frames[label], float(spacing.removeprefix('k'))))
    labels = args.only or list(frames)
    chosen = [tuple(float(value) for value in text.split(':')) for text in args.settings] if args.settings else None
    runs = [(label, cutoff, spacing) for cutoff, spacing in chosen or settings() for label in labels]
    for label, cutoff, spacing in runs:
        name = key(label, cutoff, spacing, args.ranks)
        same_mesh = [other for other, result in results.items() if other.startswith(f'{label}/{cutoff:g}Ry/')
                     and other.endswith(f'/np{args.ranks}') and result['mesh'] == mesh(frames[label], spacing)]
        if name in results or same_mesh:
            results.setdefault(name, results[same_mesh[0]] if same_mesh else None)
            continue
        print(f'running {name} ({len(frames[label])} atoms)', flush=True)
        results[name] = label_one(code, label, frames[label], cutoff, spacing, args.ranks)
        path.write_text(json.dumps(results))
        print(f'  {results[name]["wall_s"]:.0f} s wall, {results[name]["n_kpoints"]} k-points, '
              f'PK {results[name]["workchain_pk"]}', flush=True)
    print(table(results, labels, 2))
    print()
    print(combined_table(results, labels, 2))
    print()
    print(timing_table(results))


if __name__ == '__main__':
    main(sys.argv[1:])
