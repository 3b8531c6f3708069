"""Fit a SNAP and a POD to the training set of the newest GAP in the profile and compare the three. Run:
verdi run examples/fit_fast_potentials.py

The GAP comes from the newest finished IterativeTrainingWorkChain (its final potential, training set and, if it
had one, validation set) or else the newest finished GapFitCalculation. The SNAP (aiida_lps.potentials.snap
defaults: 2J = 6, 5 Angstrom cutoff) and the POD (aiida_lps.potentials.pod defaults: 2- and 3-body, 5 Angstrom
cutoff) are fitted to the same training set by their fitters (lps.potential_fitters: fit_snap_potential, and
PodFitCalculation on lmp@localhost); all are evaluated by evaluate_potential on the training set and on the
validation set, which none was trained on.
"""
from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.calculations.functions.evaluate_potential import evaluate_potential
from aiida_lps.calculations.gap_fit import GapFitCalculation
from aiida_lps.query import newest_finished
from aiida_lps.workflows.training import IterativeTrainingWorkChain, side_fitters


training = newest_finished(IterativeTrainingWorkChain, 'training_set')
if training is not None:
    source, gap, training_set = training, training.outputs.potential, training.outputs.training_set
    validation_set = training.outputs.validation_set if 'validation_set' in training.outputs else None
else:
    fit = newest_finished(GapFitCalculation, 'potential')
    if fit is None:
        raise SystemExit('no finished IterativeTrainingWorkChain or GapFitCalculation: run examples/gap_fit.py first')
    source, gap, training_set, validation_set = fit, fit.outputs.potential, fit.inputs.training_set, None

print(f'{source.process_label}<{source.pk}> [exit {source.exit_status}]: GapPotentialData<{gap.pk}>, '
      f'TrainingSetData<{training_set.pk}> '
      f'({training_set.num_structures} configurations, {training_set.base.attributes.get("num_atoms")} atoms)')
potentials = {'GAP': gap}
codes = {'lmp': orm.load_code('lmp@localhost')}
for kind, fitter in side_fitters().items():
    inputs = fitter.inputs(training_set, orm.Dict({}), code=codes.get(fitter.runs_on))
    outputs, _ = run_get_node(fitter.process, **inputs)
    potentials[kind.upper()] = outputs['potential']
    print(f'{type(potentials[kind.upper()]).__name__}<{potentials[kind.upper()].pk}> fitted')
print()

sets = {'training': training_set}
if validation_set is not None:
    sets['validation'] = validation_set
print(f'{"set":<11}{"potential":<6}{"E meV/atom":>11}{"E-offset":>10}{"F eV/A":>9}   F per element eV/A')
for name, configurations in sets.items():
    for label, potential in potentials.items():
        metrics = evaluate_potential(potential, configurations)['metrics'].get_dict()
        elements = ', '.join(f'{key} {value:.3f}' for key, value in metrics['force_rmse_by_element'].items())
        print(f'{name:<11}{label:<6}{metrics["energy_rmse_meV_per_atom"]:>11.2f}'
              f'{metrics["energy_rmse_offset_removed_meV_per_atom"]:>10.2f}{metrics["force_rmse_eV_per_A"]:>9.3f}'
              f'   {elements}')
