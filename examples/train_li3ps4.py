"""Iterative GAP training on gamma-Li3PS4 (fast protocol, 3 generations). Run: verdi run examples/train_li3ps4.py

Generation 0 fits a GAP to four rattled and strained gamma-Li3PS4 cells (16 atoms). Each following generation runs
600 K MD of gamma-Li3PS4 with the current GAP and makes two rattled copies, picks three of these candidates at
random, labels them with pw.x and refits. The validation set, never trained on, holds three gamma cells rattled by
0.1 Angstrom per component (of the order of thermal displacements at 600 K). At the end, the first and the last GAP
are also evaluated on a rattled beta-Li3PS4 cell (32 atoms), the transferability test of the thesis (5.2), which
a GAP trained on gamma cells alone is not expected to pass. The fast protocol is for demonstrations (Gamma-point
DFT, small GAP), not for production numbers.
"""
import time

from aiida import orm
from aiida.engine import run_get_node
from aiida.manage.caching import enable_caching

from aiida_lps.calculations.functions.evaluate_potential import evaluate_potential
from aiida_lps.calculations.functions.perturbed_structures import perturbed_structures
from aiida_lps.structures.crystals import get_crystal
from aiida_lps.workflows.labelling import DftLabellingWorkChain
from aiida_lps.workflows.training import IterativeTrainingWorkChain

GENERATIONS = 3


def perturbed(structure, count, rattle_A, max_strain, seed, prefix):
    copies = perturbed_structures(structure, orm.Int(count), orm.Float(rattle_A), orm.Float(max_strain), orm.Int(seed))
    return {f'{prefix}_{key.removeprefix("structure_")}': node for key, node in copies.items()}


gamma = orm.StructureData(ase=get_crystal('gamma-Li3PS4'))
beta = orm.StructureData(ase=get_crystal('beta-Li3PS4'))
# a GAP fitted to near-crystal cells only has no repulsion at short range and its 600 K MD collapses: start from
# slightly and more strongly rattled cells
initial = {**perturbed(gamma, 2, 0.05, 0.02, 1, 'gamma_small'), **perturbed(gamma, 2, 0.1, 0.03, 4, 'gamma_large')}
validation = perturbed(gamma, 3, 0.1, 0.02, 2, 'gamma')

stage = IterativeTrainingWorkChain.get_protocol_inputs('fast')['stages'][0]
stage.update(max_generations=GENERATIONS, patience=GENERATIONS)  # run all three generations
builder = IterativeTrainingWorkChain.get_builder_from_protocol(
    orm.load_code('pw@localhost'), orm.load_code('gap_fit@localhost'), {'gamma_Li3PS4': gamma},
    lammps_code=orm.load_code('lmp@localhost'), protocol='fast', overrides={'stages': [stage]},
    initial_structures=initial, validation_structures=validation,
)
start = time.monotonic()
results, node = run_get_node(builder)
minutes = (time.monotonic() - start) / 60
print(f'IterativeTrainingWorkChain<{node.pk}> exit {node.exit_status} after {minutes:.1f} min: '
      f'{node.exit_message or "ok"}')
print('generation  stage    labelled failed  train F   validation F (eV/A)  validation E (meV/atom)')
for row in results['rmse_table']['generations']:
    validation_rmse = row['rmse']['validation']
    print(f'{row["generation"]:>10}  {row["stage"]:<8} {row.get("n_labelled", "-"):>8} {row.get("n_failed", "-"):>6}  '
          f'{row["rmse"]["train"]["force_rmse_eV_per_A"]:.3f}     {validation_rmse["force_rmse_eV_per_A"]:.3f}'
          f'                {validation_rmse["energy_rmse_meV_per_atom"]:.1f}')
print(f'plot: verdi node repo cat {results["plot"].pk} training.png > training.png')

# transferability to the other polymorph: label one beta cell (a cached pw.x result is reused if this example ran
# before) and evaluate the first and the last GAP on it
beta_builder = DftLabellingWorkChain.get_builder_from_protocol(
    orm.load_code('pw@localhost'), perturbed(beta, 1, 0.1, 0.02, 3, 'beta'), protocol='fast'
)
with enable_caching(identifier='aiida.calculations:quantumespresso.pw'):
    beta_labels = run_get_node(beta_builder)[0]['training_set']
generations = results['generations']
first, last = min(generations, key=lambda k: int(k[4:])), max(generations, key=lambda k: int(k[4:]))
for name in (first, last):
    metrics = evaluate_potential(generations[name]['potential'], beta_labels)['metrics']
    print(f'beta-Li3PS4, GAP of {name}: force RMSE {metrics["force_rmse_eV_per_A"]:.3f} eV/A, '
          f'energy RMSE {metrics["energy_rmse_meV_per_atom"]:.1f} meV/atom')
