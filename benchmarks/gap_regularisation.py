"""Held-out force error of GAP hyperparameter variants on a training run's own MD snapshots (cross-validation).

The training set (a ``TrainingSetData`` of an AiiDA profile, e.g. a campaign piece's ``training_set`` output) is
split into the snapshots of one generation (``--generation``, default the last) and the rest. The generation's
snapshots are divided into ``--folds`` interleaved folds; each variant is fitted ``--folds`` times with gap_fit to
everything but one fold and evaluated (quippy) on that fold. Printed per variant, averaged over the folds: the
force RMSE on the held-out snapshots and on the generation's snapshots it was trained on (eV/A), the energy RMSE on
the held-out snapshots (meV/atom), the force RMSE on the other configurations it was trained on, and the fit time.
Held-out error close to the training error means the fit, not the data, limits the GAP (over-regularised).
With ``--held-out-set`` (labels the training set never saw, e.g. the next generation's) each variant is instead fitted
once to the whole training set and evaluated on that set.

The fits are those of ``GapFitCalculation``: the workstation protocol's hyperparameters (``--preset`` and
``--base`` overrides, merged as ``gap_parameters``), the eq.-16 force sigmas (``force_sigma`` of the protocol)
and the isolated-atom reference energies (``--reference-energies``). A variant is ``name=key.sub=value,...``:
``soap.delta=1.0`` changes a hyperparameter, ``force_sigma=none`` fits with the uniform ``default_sigma`` instead.

Run from the repository root with the project's environment, e.g. on a campaign profile:
``OMP_NUM_THREADS=2 python benchmarks/gap_regularisation.py -p lps-campaign --training-set c3c68fc3
--reference-energies 90e9a12a baseline= soap_delta_1=soap.delta=1.0 soap_delta_3=soap.delta=3.0
uniform_sigma=force_sigma=none``
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import ase.io
import numpy as np

EQ16_SIGMA = {'sigma_min': 0.01, 'c': 0.1, 'a': 0.01}


def parse_variant(text: str) -> tuple[str, dict, dict | None]:
    """``name=key.sub=value,...`` -> (name, hyperparameter overrides, force sigma settings or None)."""
    name, _, changes = text.partition('=')
    overrides, force_sigma = {}, dict(EQ16_SIGMA)
    for change in filter(None, changes.split(',')):
        key, _, value = change.partition('=')
        if key == 'force_sigma':
            force_sigma = None if value == 'none' else dict(EQ16_SIGMA)
            continue
        *path, last = key.split('.')
        target = overrides
        for part in path:
            target = target.setdefault(part, {})
        target[last] = float(value)
    return name, overrides, force_sigma


def fit(frames: list, hyperparameters: dict, force_sigma: dict | None, e0: dict | None, folder: Path,
        gap_fit: str) -> tuple[Path, float]:
    """gap_fit on ``frames`` as ``GapFitCalculation`` writes it; return the xml and the wall time (s)."""
    from aiida_lps.potentials.gap import gap_fit_job

    frames, arguments = gap_fit_job(frames, hyperparameters, 'train.xyz', 'gap.xml', 1, force_sigma, e0)
    folder.mkdir(parents=True, exist_ok=True)
    ase.io.write(folder / 'train.xyz', frames, format='extxyz')
    start = time.perf_counter()
    with open(folder / 'gap_fit.out', 'w') as log:
        subprocess.run([gap_fit, *arguments], cwd=folder, check=True, stdout=log, stderr=subprocess.STDOUT)
    return folder / 'gap.xml', time.perf_counter() - start


def errors(xml: Path, frames: list) -> tuple[float, float]:
    """Force RMSE (eV/A) and energy RMSE (meV/atom) of the GAP ``xml`` on labelled ``frames``."""
    from quippy.potential import Potential

    potential = Potential(param_filename=str(xml))
    force_errors, energy_errors = [], []
    for atoms in frames:
        copy_ = atoms.copy()
        copy_.calc = potential
        force_errors.append(copy_.get_forces() - atoms.arrays['forces'])
        energy_errors.append((copy_.get_potential_energy() - atoms.info['energy']) / len(atoms))
    return float(np.sqrt(np.mean(np.square(np.concatenate(force_errors))))), 1e3 * float(
        np.sqrt(np.mean(np.square(energy_errors))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('-p', '--profile', default=None)
    parser.add_argument('--training-set', required=True, help='PK or UUID (prefix) of a TrainingSetData')
    parser.add_argument('--reference-energies', default=None, help='PK or UUID of the isolated-atom energies Dict')
    parser.add_argument('--generation', type=int, default=None, help='generation held out (default: the last)')
    parser.add_argument('--folds', type=int, default=2)
    parser.add_argument('--held-out-set', default=None, help='PK or UUID of a TrainingSetData to evaluate on instead')
    parser.add_argument('--preset', default='precise')
    parser.add_argument('variants', nargs='+', help='name=key.sub=value,... (see the module docstring)')
    args = parser.parse_args()

    from aiida import load_profile, orm

    from aiida_lps.data.training_set import with_plain_labels
    from aiida_lps.potentials.gap import GAP_PRESETS, merge_hyperparameters
    from aiida_lps.setup.profile import code_specs
    from aiida_lps.workflows.protocols import recursive_merge

    load_profile(args.profile, allow_switch=True)
    training_set = orm.load_node(args.training_set)
    e0 = orm.load_node(args.reference_energies).get_dict() if args.reference_energies else None
    frames = with_plain_labels(training_set.to_atoms(), stress_key=None)
    generations = [int(tags.get('generation', 0)) for tags in training_set.get_tags()]
    held_generation = max(generations) if args.generation is None else args.generation
    snapshots = [index for index, generation in enumerate(generations) if generation == held_generation]
    others = [index for index, generation in enumerate(generations) if generation != held_generation]
    folds = [snapshots[start::args.folds] for start in range(args.folds)]
    held_out = None
    if args.held_out_set:
        held_out = with_plain_labels(orm.load_node(args.held_out_set).to_atoms(), stress_key=None)
        folds = [[]]
    gap_fit = code_specs()['gap_fit']['filepath_executable']
    print(f'training set {training_set.uuid}: {len(frames)} configurations; generation {held_generation} '
          f'({len(snapshots)}) ' + (f'trained on, held out: {len(held_out)} of {args.held_out_set}' if held_out else
                                    f'in {args.folds} folds; {len(others)} others always in training'))
    print('| variant | held-out force RMSE (eV/A) | trained-on snapshots | held-out energy (meV/atom) | '
          'other configurations | fit (s) |\n|---|---|---|---|---|---|')
    with tempfile.TemporaryDirectory() as scratch:
        for text in args.variants:
            name, overrides, force_sigma = parse_variant(text)
            hyperparameters = merge_hyperparameters(recursive_merge(GAP_PRESETS[args.preset], overrides))
            rows = []
            for index, held in enumerate(folds):
                trained = [i for i in range(len(frames)) if i not in held]
                xml, seconds = fit([frames[i] for i in trained], hyperparameters, force_sigma, e0,
                                   Path(scratch) / f'{name}_{index}', gap_fit)
                held_force, held_energy = errors(xml, held_out or [frames[i] for i in held])
                trained_force, _ = errors(xml, [frames[i] for i in snapshots if i not in held])
                other_force, _ = errors(xml, [frames[i] for i in others])
                rows.append((held_force, trained_force, held_energy, other_force, seconds))
            mean = np.mean(rows, axis=0)
            print(f'| {name} ({text.partition("=")[2] or "as given"}) | {mean[0]:.3f} | {mean[1]:.3f} | '
                  f'{mean[2]:.1f} | {mean[3]:.3f} | {mean[4]:.0f} |', flush=True)


if __name__ == '__main__':
    main()
