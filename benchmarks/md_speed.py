"""MD speed of GAP (LAMMPS ``pair_style quip`` and quippy) against SNAP (LAMMPS ``pair_style snap``), atom-steps/s.

All potentials run on the same ~300-atom beta-Li3PS4 supercell (1 x 3 x 3, 288 atoms) with the same NVE script
that ``LammpsMdCalculation`` writes (``aiida_lps.potentials.lammps_input.md_input_script``); the speed is
n_atoms x steps / LAMMPS's ``Loop time`` (setup excluded). The potentials are fitted here to Morse-labelled
rattled copies of the cell (evaluation speed does not depend on the labels):

- ``GAP thesis SOAP``: the thesis Table-1 descriptors (2-body 5.5 A; SOAP 6.0 A, n_max 9, l_max 3, atom_sigma
  0.7 A), with ``--gap-sparse`` sparse points per species instead of 2000 (the training cells hold fewer P
  environments; fewer sparse points make the GAP slightly faster, so the ratios are lower bounds);
- ``GAP soap_turbo``: the same with QUIP's soap_turbo descriptor (``SOAP_TURBO_DEFAULTS``: 6.0/5.5 A cutoffs,
  alpha_max 8, l_max 3) instead of SOAP, and the same sparse points;
- ``GAP fast``: the ``fast`` preset of the tests and demos;
- ``SNAP 2J=6`` (and ``2J=8``): ``aiida_lps.potentials.snap`` defaults, 5 A cutoff;
- ``POD`` (only with DFT labels, below): ``aiida_lps.potentials.pod`` defaults (LAMMPS's ``fitpod``, 5 A cutoff,
  2- and 3-body descriptors); fitpod cannot fit the steep Morse reference (train force RMSE 3.4 eV/A of 4.5 RMS).

quippy rows time ``get_forces`` on the same cell in this Python process (1 thread).

With ``--training-set PK --validation-set PK`` (``TrainingSetData`` nodes of the default AiiDA profile, e.g. the
outputs of an ``IterativeTrainingWorkChain``) every potential is fitted to those DFT labels instead, and the table
adds each potential's energy and force RMSE on the validation set: speed and accuracy of GAP (SOAP and
soap_turbo), SNAP and POD side by side. A fit whose MD does not hold the benchmark cell gets its accuracy row and
a printed "MD failed" instead of a speed.

Run from the repository root with the project's environment:
``OMP_NUM_THREADS=1 python benchmarks/md_speed.py [--ranks 1 2] [--training-set PK --validation-set PK]``.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import ase.io
import numpy as np
from ase.calculators.morse import MorsePotential
from ase.data import atomic_masses

from aiida_lps.potentials.evaluate import metrics_against_labels
from aiida_lps.potentials.gap import GAP_PRESETS, gap_fit_arguments, merge_hyperparameters, two_body_pairs
from aiida_lps.potentials.lammps_input import md_input_script, quip_pair_commands
from aiida_lps.potentials.pod import FITPOD_COEFFICIENTS, FITPOD_SCRIPT, fitpod_input_files, pod_from_fitpod
from aiida_lps.potentials.snap import fit_snap
from aiida_lps.setup.profile import code_specs, venv_bin
from aiida_lps.structures.crystals import get_crystal

SPECIES = ['Li', 'P', 'S']
NUMBERS = [3, 15, 16]
MASSES = [float(atomic_masses[z]) for z in NUMBERS]
LOOP_TIME = re.compile(r'Loop time of ([\d.eE+-]+) on (\d+) procs for (\d+) steps with (\d+) atoms')
CPU_USE = re.compile(r'([\d.]+)% CPU use with')
def benchmark_cell(repeat: tuple[int, int, int]):
    """The beta-Li3PS4 supercell of the benchmark."""
    return get_crystal('beta-Li3PS4').repeat(repeat)


def morse_frames(cell, count: int, seed: int) -> list:
    """Rattled (0.1 A) copies of ``cell`` labelled by ASE's Morse potential (a reference model, not DFT)."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(count):
        atoms = cell.copy()
        atoms.rattle(0.1, seed=int(rng.integers(1 << 30)))
        atoms.calc = MorsePotential(epsilon=0.3, r0=2.6, rho0=5.0)
        atoms.info['energy'] = atoms.get_potential_energy()
        atoms.arrays['forces'] = atoms.get_forces()
        frames.append(atoms)
    return frames


def dft_frames(pk: int) -> list:
    """The configurations of the ``TrainingSetData`` ``pk``, labelled as ``morse_frames`` are: by their calculator
    (for SNAP and the accuracy columns) and in ``info``/``arrays`` (for gap_fit)."""
    from aiida import load_profile, orm

    load_profile()
    frames = orm.load_node(pk).to_atoms()
    for atoms in frames:
        atoms.info['energy'] = atoms.get_potential_energy()
        atoms.arrays['forces'] = atoms.get_forces()
    return frames


def labels_only(atoms):
    """A copy without calculator whose energy (eV) and forces (eV/A) are in ``info``/``arrays``, for extxyz fitters."""
    copy = atoms.copy()
    copy.info['energy'], copy.arrays['forces'] = atoms.info['energy'], atoms.arrays['forces']
    return copy


def fit_gap(frames, overrides: dict, folder: pathlib.Path) -> tuple[pathlib.Path, str]:
    """Fit a GAP with the real gap_fit; return the xml path and its label."""
    from aiida_lps.data.gap_potential import parse_gap_xml_header

    folder.mkdir(parents=True, exist_ok=True)
    ase.io.write(folder / 'train.xyz', [labels_only(atoms) for atoms in frames], format='extxyz')
    hyperparameters = merge_hyperparameters(overrides)
    pairs = two_body_pairs(frames, hyperparameters['two_body']['cutoff'])
    arguments = gap_fit_arguments(hyperparameters, NUMBERS, 'train.xyz', 'gap.xml', pairs)
    gap_fit = code_specs()['gap_fit']['filepath_executable']
    subprocess.run([gap_fit, *arguments], cwd=folder, check=True, capture_output=True,
                   env={**os.environ, 'OMP_NUM_THREADS': '1'})
    xml = folder / 'gap.xml'
    return xml, parse_gap_xml_header(xml.read_text())['label']


def fit_pod(frames, folder: pathlib.Path):
    """Fit a POD with fitpod in the environment's lmp (what ``PodFitCalculation`` runs); return the model."""
    for name, text in fitpod_input_files(frames).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    subprocess.run([str(venv_bin() / 'lmp'), '-in', FITPOD_SCRIPT, '-log', 'none', '-nocite'], cwd=folder, check=True,
                   capture_output=True, env={**os.environ, 'OMP_NUM_THREADS': '1'})
    return pod_from_fitpod((folder / FITPOD_COEFFICIENTS).read_text(), frames)


def lammps_speed(cell, pair_commands: list[str], files: dict[str, bytes], steps: int, ranks: int,
                 folder: pathlib.Path) -> dict:
    """Run ``steps`` NVE steps (1 fs, from 600 K) with ``ranks`` MPI ranks; atom-steps/s from the loop time."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    ase.io.write(folder / 'structure.data', cell, format='lammps-data', specorder=SPECIES, atom_style='atomic')
    parameters = {'timestep_fs': 1.0, 'initial_temperature_K': 600, 'seed': 1, 'thermo_every': steps,
                  'stages': [{'ensemble': 'nve', 'steps': steps, 'dump': False}]}
    script = md_input_script(parameters, 'structure.data', pair_commands, MASSES, 'unused.dump')
    (folder / 'md.in').write_text(script)
    lmp = str(venv_bin() / 'lmp')
    command = [lmp, '-in', 'md.in', '-log', 'none'] if ranks == 1 else \
        [str(venv_bin() / 'mpirun'), '-np', str(ranks), lmp, '-in', 'md.in', '-log', 'none']
    environment = {**os.environ, 'OMP_NUM_THREADS': '1', 'PATH': f'{venv_bin()}:{os.environ["PATH"]}'}
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=environment)
    (folder / 'md.out').write_text(result.stdout + result.stderr)
    match, cpu = LOOP_TIME.search(result.stdout), CPU_USE.search(result.stdout)
    if result.returncode != 0 or match is None or cpu is None:
        raise RuntimeError(f'LAMMPS failed ({folder.name}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}')
    seconds, n_steps, n_atoms = float(match[1]), int(match[3]), int(match[4])
    cpu_seconds = seconds * float(cpu[1]) / 100 * ranks  # LAMMPS prints the CPU use of the loop per rank
    return _speeds(seconds, cpu_seconds, n_steps, n_atoms)


def _speeds(seconds: float, cpu_seconds: float, steps: int, atoms: int) -> dict:
    """Wall-clock and per-CPU-second speeds; the latter is what a loaded, shared machine does not distort."""
    return {'seconds': seconds, 'cpu_seconds': cpu_seconds, 'steps': steps, 'atoms': atoms,
            'speed': atoms * steps / seconds, 'cpu_speed': atoms * steps / cpu_seconds}


def quippy_speed(cell, xml: pathlib.Path, label: str, calls: int) -> dict:
    """Time ``calls`` energy+force evaluations of a quippy GAP on rattled copies of ``cell``."""
    from quippy.potential import Potential

    calculator = Potential(f'IP GAP label={label}', param_filename=str(xml))
    atoms = cell.copy()
    atoms.calc = calculator
    atoms.get_forces()  # first call: descriptor set-up
    start, start_cpu = time.perf_counter(), time.process_time()
    for index in range(calls):
        atoms.rattle(0.01, seed=index)
        atoms.get_forces()
    return _speeds(time.perf_counter() - start, time.process_time() - start_cpu, calls, len(atoms))


def run_all(cell, frames, arguments, work: pathlib.Path, validation=None) -> tuple[list[tuple], dict]:
    """Fit the potentials in ``work`` and time each: rows of (name, engine, ranks, speeds), and per potential
    its metrics on the labelled ``validation`` frames (if given)."""
    thesis = {'soap': {'n_sparse': arguments.gap_sparse}, 'two_body': {'n_sparse': 20}}
    gaps = {
        'GAP thesis SOAP': fit_gap(frames, thesis, work / 'gap_thesis'),
        'GAP soap_turbo': fit_gap(frames, {'soap': None, 'soap_turbo': {'n_sparse': arguments.gap_sparse},
                                           'two_body': {'n_sparse': 20}}, work / 'gap_soap_turbo'),
        'GAP fast': fit_gap(frames, GAP_PRESETS['fast'], work / 'gap_fast'),
    }
    rows, accuracy = [], {}
    for name, (xml, label) in gaps.items():
        if validation:
            from quippy.potential import Potential

            accuracy[name] = metrics_against_labels(
                validation, Potential(f'IP GAP label={label}', param_filename=str(xml)))
        commands = quip_pair_commands('gap.xml', label, NUMBERS)
        for ranks in arguments.ranks:
            rows.append((name, 'LAMMPS', ranks, lammps_speed(
                cell, commands, {'gap.xml': xml.read_bytes()}, arguments.gap_steps, ranks,
                work / f'{name.replace(" ", "_")}_{ranks}')))
            print(f'  {rows[-1][0]} ({rows[-1][1]}, {ranks} rank(s)): {rows[-1][3]["speed"]:.0f} atom-steps/s',
                  flush=True)
        if arguments.quippy_calls:
            rows.append((name, 'quippy', 1, quippy_speed(cell, xml, label, arguments.quippy_calls)))
            print(f'  {name} (quippy): {rows[-1][3]["speed"]:.0f} atom-steps/s', flush=True)
    linear = {f'SNAP 2J={twojmax}': fit_snap(frames, {'twojmax': twojmax}) for twojmax in arguments.twojmax}
    if validation and arguments.pod:  # fitpod cannot represent the steep Morse reference: DFT labels only
        linear['POD'] = fit_pod(frames, work / 'pod_fit')
    for name, model in linear.items():
        files, commands = model.lammps_pair()
        if validation:
            accuracy[name] = metrics_against_labels(validation, model.calculator())
        for ranks in arguments.ranks:
            try:
                speed = lammps_speed(cell, commands, files, arguments.snap_steps, ranks,
                                     work / f'{name.replace(" ", "_")}_{ranks}')
            except RuntimeError as error:  # a fit that does not hold the benchmark cell: no speed to give
                print(f'  {name} (LAMMPS, {ranks} rank(s)): MD failed, {str(error).splitlines()[-3:]}', flush=True)
                continue
            rows.append((name, 'LAMMPS', ranks, speed))
            print(f'  {name} (LAMMPS, {ranks} rank(s)): {speed["speed"]:.0f} atom-steps/s', flush=True)
    return rows, accuracy


def print_table(rows: list[tuple], accuracy: dict) -> None:
    """The speeds with their ratios to GAP thesis SOAP in LAMMPS at the same number of ranks, then the accuracy."""
    reference = {ranks: speed for name, engine, ranks, speed in rows
                 if name == 'GAP thesis SOAP' and engine == 'LAMMPS'}
    header = (f'{"potential":<18}{"engine":<8}{"ranks":>6}{"atoms":>7}{"steps":>7}{"wall/s":>9}{"CPU/s":>9}'
              f'{"atom-steps/s":>14}{"x GAP":>7}{"atom-steps/CPU-s":>18}{"x GAP":>7}')
    print('\n' + header + '\n' + '-' * len(header))
    for name, engine, ranks, speed in rows:
        gap = reference.get(ranks, {'speed': float('nan'), 'cpu_speed': float('nan')})
        print(f'{name:<18}{engine:<8}{ranks:>6}{speed["atoms"]:>7}{speed["steps"]:>7}{speed["seconds"]:>9.2f}'
              f'{speed["cpu_seconds"]:>9.2f}{speed["speed"]:>14.0f}{speed["speed"] / gap["speed"]:>7.1f}'
              f'{speed["cpu_speed"]:>18.0f}{speed["cpu_speed"] / gap["cpu_speed"]:>7.1f}')
    print('\nx GAP: ratio to GAP thesis SOAP in LAMMPS with the same number of ranks (quippy rows: 1 rank). '
          'atom-steps/CPU-s divides by the CPU time of all ranks (LAMMPS\'s "% CPU use" of the loop), so it is not '
          f'distorted by other jobs; load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores')
    if accuracy:
        print(f'\n{"potential":<18}{"val E meV/atom":>16}{"val F eV/A":>12}  F by element (eV/A)')
        for name, metrics in accuracy.items():
            elements = ', '.join(f'{symbol} {value:.3f}' for symbol, value in metrics['force_rmse_by_element'].items())
            print(f'{name:<18}{metrics["energy_rmse_meV_per_atom"]:>16.1f}{metrics["force_rmse_eV_per_A"]:>12.3f}  '
                  f'{elements}')


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--ranks', type=int, nargs='+', default=[1], help='MPI rank counts to run (default 1)')
    parser.add_argument('--repeat', type=int, nargs=3, default=[1, 3, 3], help='supercell of beta-Li3PS4')
    parser.add_argument('--gap-steps', type=int, default=10, help='MD steps of each GAP run')
    parser.add_argument('--snap-steps', type=int, default=300, help='MD steps of each SNAP run')
    parser.add_argument('--gap-sparse', type=int, default=50, help='SOAP sparse points per species of the GAP')
    parser.add_argument('--quippy-calls', type=int, default=3, help='force calls timed for quippy (0: skip)')
    parser.add_argument('--twojmax', type=int, nargs='+', default=[6, 8], help='SNAP 2J values')
    parser.add_argument('--no-pod', dest='pod', action='store_false', help='skip the POD row (fitpod)')
    parser.add_argument('--training-set', type=int, help='pk of a TrainingSetData to fit every potential to')
    parser.add_argument('--validation-set', type=int, help='pk of a TrainingSetData for the accuracy columns')
    arguments = parser.parse_args(argv)
    if (arguments.training_set is None) != (arguments.validation_set is None):
        parser.error('give both --training-set and --validation-set, or neither')

    cell = benchmark_cell(tuple(arguments.repeat))
    if arguments.training_set is None:
        frames, validation = morse_frames(cell, count=2, seed=1), None
    else:
        frames, validation = dft_frames(arguments.training_set), dft_frames(arguments.validation_set)
        print(f'fitted to TrainingSetData<{arguments.training_set}> ({len(frames)} configurations), validated on '
              f'TrainingSetData<{arguments.validation_set}> ({len(validation)})', flush=True)
    print(f'{len(cell)}-atom beta-Li3PS4 {"x".join(map(str, arguments.repeat))} supercell', flush=True)
    with tempfile.TemporaryDirectory(prefix='lps-md-speed-') as scratch:
        rows, accuracy = run_all(cell, frames, arguments, pathlib.Path(scratch), validation)
    print_table(rows, accuracy)


if __name__ == '__main__':
    sys.exit(main())
