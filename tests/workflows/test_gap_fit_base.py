"""GapFitBaseWorkChain: the out-of-memory handler and the other failures on a fake finished GapFitCalculation
(milliseconds, no code), and one real tiny fit through the work chain."""
import pytest
from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.calculations.gap_fit import GapFitCalculation
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.gap import GAP_PRESETS
from aiida_lps.workflows.gap_fit_base import GapFitBaseWorkChain

ENTRY_POINT = 'lps.gap_fit_base'
EXIT_CODES = GapFitCalculation.exit_codes
OUT_OF_MEMORY = GapFitBaseWorkChain.exit_codes.ERROR_OUT_OF_MEMORY.status


@pytest.fixture
def fit_workchain(lps_code, morse_labelled_frames, generate_restart_workchain):
    """Factory: the base work chain after one fake GapFitCalculation with hyperparameter overrides ``parameters``
    (None: the defaults) that finished with ``exit_code``."""

    def factory(exit_code, parameters=None):
        inputs = {'code': lps_code('gap_fit'), 'training_set': TrainingSetData.from_atoms(morse_labelled_frames(2))}
        calculation_inputs = {}
        if parameters is not None:
            inputs['parameters'] = orm.Dict(parameters)
            calculation_inputs['parameters'] = orm.Dict(parameters)
        return generate_restart_workchain(ENTRY_POINT, {'gap_fit': inputs}, exit_code=exit_code,
                                          inputs=calculation_inputs)

    return factory


@pytest.mark.parametrize('exit_code', [EXIT_CODES.ERROR_OUT_OF_MEMORY, EXIT_CODES.ERROR_SCHEDULER_OUT_OF_MEMORY])
def test_out_of_memory_refits_with_half_the_soap_sparse_points(fit_workchain, exit_code):
    process = fit_workchain(exit_code, GAP_PRESETS['fast'])
    assert process.inspect_process().status == 0  # handled: fit again
    parameters = process.ctx.inputs.parameters
    assert parameters['soap'] == {**GAP_PRESETS['fast']['soap'], 'n_sparse': 50}
    assert parameters['two_body'] == GAP_PRESETS['fast']['two_body']  # the 2-body term is kept
    assert process.ctx.reductions == 1
    reports = [log.message for log in orm.Log.collection.get_logs_for(process.node)]
    assert any("ran out of memory: n_sparse {'soap': 100} -> {'soap': 50} (reduction 1 of 2)" in report
               for report in reports)


def test_out_of_memory_with_default_hyperparameters_halves_the_thesis_2000(fit_workchain):
    process = fit_workchain(EXIT_CODES.ERROR_OUT_OF_MEMORY)
    assert process.inspect_process().status == 0
    assert process.ctx.inputs.parameters == {'soap': {'n_sparse': 1000}}


def test_out_of_memory_after_the_last_reduction_stops_with_311(fit_workchain):
    process = fit_workchain(EXIT_CODES.ERROR_OUT_OF_MEMORY, {'soap': {'n_sparse': 500}})
    process.ctx.reductions = GapFitBaseWorkChain.defaults['max_reductions']
    exit_code = process.inspect_process()
    assert exit_code.status == OUT_OF_MEMORY
    assert "n_sparse {'soap': 500}" in exit_code.message


def test_out_of_memory_without_a_many_body_descriptor_stops_at_once(fit_workchain):
    process = fit_workchain(EXIT_CODES.ERROR_OUT_OF_MEMORY, {'soap': None})
    exit_code = process.inspect_process()
    assert exit_code.status == OUT_OF_MEMORY
    assert 'n_sparse of the 2-body term only' in exit_code.message


def test_other_failures_stop_with_the_calculation_message(fit_workchain):
    process = fit_workchain(EXIT_CODES.ERROR_GAP_FIT_ABORTED.format(message='Matrix not positive definite'))
    exit_code = process.inspect_process()
    assert exit_code.status == GapFitBaseWorkChain.exit_codes.ERROR_CALCULATION_FAILED.status
    assert exit_code.message.endswith('failed with exit status 320: gap_fit aborted: Matrix not positive definite')


@pytest.mark.requires_codes
def test_tiny_fit_through_the_work_chain(aiida_profile, lps_code, morse_labelled_frames):
    builder = GapFitBaseWorkChain.get_builder()
    training_set = TrainingSetData.from_atoms(morse_labelled_frames(12))
    builder.gap_fit = {'code': lps_code('gap_fit'), 'training_set': training_set,
                       'parameters': orm.Dict(GAP_PRESETS['fast'])}
    results, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    assert len(node.called) == 1
    assert results['potential'].species == ['Li', 'P', 'S']
    assert results['metrics']['force_rmse_eV_per_A'] < 1.0
