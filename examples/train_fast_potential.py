"""Continue a finished GAP training until its fast SNAP holds in long, hot MD. Run after `aiida-lps quickstart`:

    verdi run examples/train_fast_potential.py [TRAINING_PK]

TRAINING_PK is a finished IterativeTrainingWorkChain (default: the newest with a final GAP, e.g. the quickstart's).
The continuation labels nothing twice and fits a SNAP (2J=6) alongside every GAP. Two stages:

1. ``crystal``: two more generations of the fast protocol (GAP MD at 600 and 1000 K, rattled copies, contacts
   down to 1.2 A labelled with the eq.-16 force sigmas), so the GAP learns the repulsion its MD runs into;
2. ``snap_md``: four generations in which the current SNAP runs 1 + 10 ps of 16-atom MD at 800, 1000 and 1200 K
   and farthest-point sampling picks 4 of its snapshots for pw.x. The cheap SNAP MD goes where the SNAP is wrong;
   the DFT labels of those places teach both potentials.

Measured 2026-12-03 on a quickstart training: the SNAP after the second stage (32 configurations) held 50 ps of NVE
at 600-1200 K on 128 atoms, where the SNAPs of 10-16 configurations heated or collapsed (docs/fast_potential.md).
The script prints the pks to pass to examples/arrhenius_li3ps4.py and examples/compare_gap_snap_md.py.
"""
import sys
import time

from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.query import newest_finished
from aiida_lps.workflows.training import IterativeTrainingWorkChain

FAST_STAGE = IterativeTrainingWorkChain.get_protocol_inputs('fast')['stages'][0]
SNAP_MD_STAGE = {
    'name': 'snap_md',
    'structures': None,
    'explorers': [{'type': 'md', 'potential': 'snap', 'temperatures_K': [800.0, 1000.0, 1200.0], 'timestep_fs': 2.0,
                   'damping_fs': 100.0, 'equilibration_ps': 1.0, 'production_ps': 10.0, 'snapshot_spacing_ps': 0.5}],
    'selector': {'method': 'fps', 'count': 4, 'min_distance_A': 1.2},
    'max_generations': 4,
    'patience': 4,
    'force_rmse_tolerance_eV_per_A': 0.0,  # run all four generations: the point is the SNAP's data, not the GAP's
}


def load_training(arguments) -> orm.WorkflowNode:
    """The run given by pk, else the newest finished IterativeTrainingWorkChain of the profile with a final GAP."""
    if arguments:
        return orm.load_node(int(arguments[0]))
    node = newest_finished(IterativeTrainingWorkChain, 'potential')
    if node is None:
        raise SystemExit('no finished IterativeTrainingWorkChain in this profile: run `aiida-lps quickstart` first')
    return node


previous = load_training(sys.argv[1:])
builder = IterativeTrainingWorkChain.get_builder_continuation(
    previous, stages=[{**FAST_STAGE, 'max_generations': 2, 'patience': 2}, SNAP_MD_STAGE])
if 'snap_parameters' not in builder:
    builder.snap_parameters = orm.Dict({})
print(f'continuing IterativeTrainingWorkChain<{previous.pk}> ({previous.outputs.training_set.num_structures} '
      'labelled configurations)')
start = time.monotonic()
results, node = run_get_node(builder)
print(f'IterativeTrainingWorkChain<{node.pk}> exit {node.exit_status} after {(time.monotonic() - start) / 60:.1f} min: '
      f'{node.exit_message or "ok"}')
print('generation  stage     n_train  GAP train F  GAP val F  SNAP train F  SNAP val F (eV/A)')
for row in results['rmse_table']['generations']:
    gap, snap = row['rmse'], row.get('rmse_snap', {})
    columns = [gap.get('train'), gap.get('validation'), snap.get('train'), snap.get('validation')]
    forces = '  '.join(f'{metrics["force_rmse_eV_per_A"]:11.3f}' if metrics else f'{"-":>11}' for metrics in columns)
    print(f'{row["generation"]:>10}  {row["stage"]:<8} {row["n_training"]:>8}  {forces}')
gap_pk, snap_pk = results['potential'].pk, results['snap_potential'].pk
print(f'GAP {gap_pk}, SNAP {snap_pk}:')
print(f'  verdi run examples/arrhenius_li3ps4.py {snap_pk}')
print(f'  verdi run examples/compare_gap_snap_md.py {gap_pk} {snap_pk}')
