"""Continue a finished GAP training until its fast potential holds in long, hot MD. Run after `aiida-lps quickstart`:

    verdi run examples/train_fast_potential.py [TRAINING_PK]

TRAINING_PK is a finished IterativeTrainingWorkChain (default: the newest with a final GAP, e.g. the quickstart's).
The continuation labels nothing twice and fits a POD and a SNAP (2J=6) alongside every GAP (docs/fast_potential.md
compares them). Two stages:

1. ``crystal``: two more generations of the fast protocol (GAP MD at 600 and 1000 K, rattled copies, contacts
   down to 1.2 A labelled with the eq.-16 force sigmas), so the GAP learns the repulsion its MD runs into;
2. ``fast_md``: four generations in which the current SNAP runs 1 + 10 ps of 16-atom MD at 800, 1000 and 1200 K
   and farthest-point sampling picks 4 of its snapshots for pw.x. The cheap MD goes where the SNAP is wrong; the
   DFT labels of those places teach all three potentials. (With the POD driving this stage instead, on
   2026-12-05, neither the POD nor the SNAP of the 32 configurations held 128 atoms at 1000 K; with the SNAP
   driving it, both held 10 ps at 600-1400 K, but only the SNAP held 50 ps: see docs/fast_potential.md.)

Measured runs are in docs/fast_potential.md (2026-12-03 with a SNAP driving the second stage: its SNAP of 32
configurations held 50 ps of NVE at 600-1200 K on 128 atoms, where those of 10-16 configurations heated or collapsed).
The script prints the pks to pass to examples/arrhenius_li3ps4.py and examples/compare_gap_fast_md.py.
"""
import sys
import time

from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.query import newest_finished
from aiida_lps.workflows.training import IterativeTrainingWorkChain

FAST_STAGE = IterativeTrainingWorkChain.get_protocol_inputs('fast')['stages'][0]
FAST_MD_STAGE = {
    'name': 'fast_md',
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
    previous, stages=[{**FAST_STAGE, 'max_generations': 2, 'patience': 2}, FAST_MD_STAGE])
for kind in ('pod', 'snap'):
    if f'{kind}_parameters' not in builder:
        builder[f'{kind}_parameters'] = orm.Dict({})
print(f'continuing IterativeTrainingWorkChain<{previous.pk}> ({previous.outputs.training_set.num_structures} '
      'labelled configurations)')
start = time.monotonic()
results, node = run_get_node(builder)
print(f'IterativeTrainingWorkChain<{node.pk}> exit {node.exit_status} after {(time.monotonic() - start) / 60:.1f} min: '
      f'{node.exit_message or "ok"}')
print('gen.  stage      n_train   force RMSE, eV/A: GAP train / val   POD train / val   SNAP train / val')
for row in results['rmse_table']['generations']:
    cells = []
    for rmse in (row['rmse'], row.get('rmse_pod', {}), row.get('rmse_snap', {})):
        values = [rmse.get(part, {}).get('force_rmse_eV_per_A') for part in ('train', 'validation')]
        cells.append(' / '.join('-' if value is None else f'{value:.3f}' for value in values))
    print(f'{row["generation"]:>4}  {row["stage"]:<9} {row["n_training"]:>7}   {cells[0]:>30}   {cells[1]:>15}   '
          f'{cells[2]:>16}')
gap_pk, pod_pk, snap_pk = (results[name].pk for name in ('potential', 'pod_potential', 'snap_potential'))
print(f'GAP {gap_pk}, POD {pod_pk}, SNAP {snap_pk}:')
print(f'  verdi run examples/arrhenius_li3ps4.py {snap_pk}   (or {pod_pk}: the POD is more accurate, the SNAP has held '
      'longer MD)')
print(f'  verdi run examples/compare_gap_fast_md.py {gap_pk} {snap_pk}')
