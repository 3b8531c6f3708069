"""A kind added through its entry points only: the ML-IAP NN (``lps.potential_fitters`` ``nn``) is fitted alongside
the GAP in ``IterativeTrainingWorkChain`` and drives the MD explorer (real pw.x, gap_fit, lmp; torch)."""
import pytest
from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.data.nn_potential import MliapNnPotentialData
from aiida_lps.workflows.training import IterativeTrainingWorkChain

pytest.importorskip('torch')

NN_MD_STAGE = {
    'name': 'nn_md',
    'structures': ['li2s'],
    'explorers': [{'type': 'md', 'potential': 'nn', 'temperatures_K': [300.0], 'timestep_fs': 1.0,
                   'damping_fs': 100.0, 'equilibration_ps': 0.01, 'production_ps': 0.04, 'snapshot_spacing_ps': 0.02}],
    'selector': {'method': 'random', 'count': 1, 'min_distance_A': 0.6},
    'max_generations': 1,
    'force_rmse_tolerance_eV_per_A': 10.0,
}


@pytest.mark.requires_codes
def test_the_nn_trains_in_the_training_and_drives_its_md(training_run):
    builder = IterativeTrainingWorkChain.get_builder_continuation(training_run, stages=[NN_MD_STAGE])
    builder.nn_parameters = orm.Dict({'twojmax': 2, 'hidden_layers': [4], 'max_iterations': 50})
    results, node = run_get_node(builder)
    assert node.exit_status in (0, IterativeTrainingWorkChain.exit_codes.WARNING_TRAINING_NOT_CONVERGED.status), \
        node.exit_message
    assert isinstance(results['nn_potential'], MliapNnPotentialData)
    rows = results['rmse_table']['generations']
    assert all(row['rmse_nn']['validation']['n_structures'] == 1 for row in rows if 'rmse_nn' in row)
    assert 'rmse_nn' in rows[-1]
    md_runs = [called for called in node.called_descendants
               if called.process_type == 'aiida.calculations:lps.lammps_md']
    assert md_runs and all(run.inputs.potential.potential_kind == 'NN' for run in md_runs)
    assert all(run.is_finished_ok for run in md_runs), [run.exit_message for run in md_runs]
    assert 'pair_style mliap model nn' in md_runs[0].base.repository.get_object_content('md.in')
