"""LammpsMdBaseWorkChain: each process handler on a fake finished LammpsMdCalculation (milliseconds, no code), one
real LAMMPS run that loses atoms, is restarted with a shorter time step and finishes, and one that LAMMPS's timeout
stops three times, continued and joined into the trajectory of an uninterrupted run."""
import io

import numpy as np
import pytest
from aiida import orm
from aiida.common.links import LinkType
from aiida.engine import run_get_node
from ase.build import bulk
from fake_potentials import zero_snap

from aiida_lps.calculations.lammps_md import LammpsMdCalculation
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.workflows.lammps_md_base import LammpsMdBaseWorkChain

ENTRY_POINT = 'lps.lammps_md_base'
EXIT_CODES = LammpsMdCalculation.exit_codes

#: 2 fs NVT (damping not given: 100 time steps) then NVE, dumped every 10 steps.
PARAMETERS = {'timestep_fs': 2.0, 'initial_temperature_K': 600, 'seed': 1, 'thermo_every': 5, 'dump_every': 10,
              'stages': [{'ensemble': 'nvt', 'steps': 50, 'temperature_K': 600, 'dump': False},
                         {'ensemble': 'nve', 'steps': 100}]}


def li4ps3() -> orm.StructureData:
    """The 8-atom Li4PS3 cell of the Morse-labelled frames, unrattled."""
    atoms = bulk('Li', 'fcc', a=4.6, cubic=True).repeat((2, 1, 1))
    atoms.set_chemical_symbols(['Li'] * 4 + ['P'] + ['S'] * 3)
    return orm.StructureData(ase=atoms)


@pytest.fixture
def md_workchain(lps_code, generate_restart_workchain):
    """Factory: the base work chain after one fake LammpsMdCalculation with ``exit_code`` (None: finished ok); the
    calculation continued the run from ``restart_step`` if given."""

    def factory(exit_code=None, parameters=PARAMETERS, restart_step=0, **child):
        inputs = {'lammps': {'code': lps_code('lmp'), 'structure': li4ps3(), 'potential': zero_snap(),
                             'parameters': orm.Dict(parameters)}}
        child_parameters = {**parameters, 'restart_step': restart_step} if restart_step else parameters
        return generate_restart_workchain(ENTRY_POINT, inputs, exit_code=exit_code,
                                          inputs={'parameters': orm.Dict(child_parameters)}, **child)

    return factory


def test_lost_atoms_restart_with_half_the_time_step_and_the_same_run_in_ps(md_workchain):
    process = md_workchain(EXIT_CODES.ERROR_LOST_ATOMS.format(message='Lost atoms: original 8 current 7'))
    assert process.inspect_process().status == 0  # handled: run again
    assert not process.ctx.is_finished
    parameters = process.ctx.inputs.parameters
    assert parameters['timestep_fs'] == 1.0
    assert [stage['steps'] for stage in parameters['stages']] == [100, 200]
    assert (parameters['thermo_every'], parameters['dump_every']) == (10, 20)  # same times in ps
    assert parameters['stages'][0]['damping_fs'] == 200.0  # the NVT damping it had, 100 steps of 2 fs
    assert parameters['initial_temperature_K'] == 600 and parameters['seed'] == 1
    assert process.ctx.reductions == 1


def test_lost_atoms_after_the_last_reduction_stop_with_312(md_workchain):
    shortest = {**PARAMETERS, 'timestep_fs': 0.5}
    process = md_workchain(EXIT_CODES.ERROR_LOST_ATOMS.format(message='Lost atoms: original 8 current 2'), shortest)
    process.ctx.reductions = LammpsMdBaseWorkChain.defaults['max_reductions']
    exit_code = process.inspect_process()
    assert exit_code.status == LammpsMdBaseWorkChain.exit_codes.ERROR_LOST_ATOMS.status
    assert 'lost atoms even with the time step reduced to 0.5 fs: atoms were lost (Lost atoms: original 8 current 2)' \
        in exit_code.message


def restart_file(step: int) -> orm.SinglefileData:
    """A stand-in for the restart file a LammpsMdCalculation stopped at ``step`` outputs."""
    restart = orm.SinglefileData(io.BytesIO(b'LammpS RestartT'), filename='md.restart')
    restart.base.attributes.set('step', step)
    return restart


def stopped_at(step: int) -> dict:
    """The exit code and outputs of a fake LammpsMdCalculation that LAMMPS's timeout stopped at ``step``."""
    return {'exit_code': EXIT_CODES.ERROR_STOPPED_BEFORE_WALLTIME.format(step=step, total=150),
            'outputs': {'restart_file': restart_file(step), 'thermo': orm.ArrayData()},
            'options': {'max_wallclock_seconds': 3600}}


def test_a_run_stopped_before_its_wall_time_continues_from_its_restart_file(md_workchain):
    process = md_workchain(**stopped_at(80))
    assert process.inspect_process().status == 0  # handled: run again
    child = process.ctx.children[0]
    assert process.ctx.inputs.restart_file.uuid == child.outputs.restart_file.uuid
    assert process.ctx.inputs.parameters == {**PARAMETERS, 'restart_step': 80}  # same stages, thermostat, seed
    assert process.ctx.pieces == [child] and process.ctx.reductions == 0
    reports = [log.message for log in orm.Log.collection.get_logs_for(process.node)]
    assert reports[0].endswith(f'LammpsMdCalculation<{child.pk}>: wall time at step 80 of 150: continuing from frame '
                               '80 (restart file) with the 70 remaining steps of stage 1 and 0 later stage(s) '
                               '(restart 1 of 10)')


def test_a_continued_run_stopped_again_continues_from_the_new_step(md_workchain):
    process = md_workchain(**stopped_at(120), restart_step=80)
    assert process.inspect_process().status == 0
    assert process.ctx.inputs.parameters['restart_step'] == 120


def test_restarts_exhausted_stop_with_313(md_workchain):
    process = md_workchain(**stopped_at(80))
    process.ctx.pieces = [None] * LammpsMdBaseWorkChain.defaults['max_walltime_restarts']
    result = process.inspect_process()
    assert result.status == LammpsMdBaseWorkChain.exit_codes.ERROR_WALLTIME_RESTARTS_EXHAUSTED.status
    assert 'reached its wall time (3600 s) at step 80 of 150 after 10 continuations' in result.message
    assert 'raise lammps.metadata.options.max_wallclock_seconds' in result.message


def test_a_piece_without_a_step_since_its_restart_stops_with_311(md_workchain):
    process = md_workchain(**stopped_at(80), restart_step=80)
    result = process.inspect_process()
    assert result.status == LammpsMdBaseWorkChain.exit_codes.ERROR_OUT_OF_WALLTIME.status
    assert 'cannot be continued: no step made since the restart at step 80' in result.message


@pytest.mark.parametrize('exit_code', [EXIT_CODES.ERROR_SCHEDULER_OUT_OF_WALLTIME, EXIT_CODES.ERROR_INCOMPLETE_RUN])
def test_killed_without_a_restart_file_stops_with_311_naming_the_wall_time(md_workchain, exit_code):
    process = md_workchain(exit_code, options={'max_wallclock_seconds': 3600})
    result = process.inspect_process()
    assert result.status == LammpsMdBaseWorkChain.exit_codes.ERROR_OUT_OF_WALLTIME.status
    assert exit_code.message in result.message
    assert 'cannot be continued: no restart file' in result.message and 'wall time (3600 s)' in result.message


def test_lost_atoms_in_a_continued_run_start_it_again_from_the_beginning(md_workchain):
    process = md_workchain(EXIT_CODES.ERROR_LOST_ATOMS.format(message='Lost atoms: original 8 current 7'),
                           restart_step=80)
    process.ctx.inputs.restart_file = restart_file(80)
    process.ctx.pieces = [None]
    assert process.inspect_process().status == 0
    assert 'restart_step' not in process.ctx.inputs.parameters and 'restart_file' not in process.ctx.inputs
    assert process.ctx.pieces == [] and process.ctx.inputs.parameters['timestep_fs'] == 1.0


def test_other_failures_stop_with_the_calculation_message(md_workchain):
    process = md_workchain(EXIT_CODES.ERROR_LAMMPS_RUN.format(message='ERROR: Unknown pair style quip'))
    result = process.inspect_process()
    assert result.status == LammpsMdBaseWorkChain.exit_codes.ERROR_CALCULATION_FAILED.status
    child = process.ctx.children[0]
    assert result.message == (f'LammpsMdCalculation<{child.pk}> failed with exit status 320: '
                               'LAMMPS stopped with an error: ERROR: Unknown pair style quip')


def test_success_attaches_the_calculation_outputs(md_workchain):
    thermo, msd = orm.ArrayData(), orm.ArrayData()
    thermo.set_array('Temp', np.array([600.0, 590.0]))
    msd.set_array('lag_ps', np.array([0.0, 0.02]))
    trajectory = orm.TrajectoryData()
    trajectory.set_trajectory(['Li'], np.zeros((2, 1, 3)), cells=np.stack([np.eye(3) * 4.6] * 2), pbc=(True,) * 3)
    process = md_workchain(outputs={'thermo': thermo, 'trajectory': trajectory, 'msd': msd})
    assert process.inspect_process() is None
    assert process.ctx.is_finished
    process.results()
    assert {label: node.uuid for label, node in process.outputs.items()} == {
        'thermo': thermo.uuid, 'trajectory': trajectory.uuid, 'msd': msd.uuid}


@pytest.mark.requires_codes
def test_lost_atoms_are_retried_with_a_shorter_step_and_succeed(aiida_profile, lps_code, tiny_gap_xml):
    """At 1e5 K a 40 fs step loses atoms of the tiny GAP's 8-atom cell within 200 fs; 20 fs keeps them."""
    parameters = {'timestep_fs': 40.0, 'initial_temperature_K': 1.0e5, 'seed': 3, 'thermo_every': 1, 'dump_every': 1,
                  'stages': [{'ensemble': 'nve', 'steps': 5}]}
    builder = LammpsMdBaseWorkChain.get_builder()
    builder.lammps = {'code': lps_code('lmp'), 'structure': li4ps3(), 'potential': GapPotentialData(tiny_gap_xml),
                      'parameters': orm.Dict(parameters)}
    builder.lammps.metadata.options.max_wallclock_seconds = 600
    results, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    first, second = sorted(node.called, key=lambda child: child.ctime)
    assert first.exit_status == EXIT_CODES.ERROR_LOST_ATOMS.status
    assert second.inputs.parameters['timestep_fs'] == 20.0
    assert second.get_option('max_wallclock_seconds') == 600  # the options reach every restart
    # the same 200 fs run, dumped at the same times (every 40 fs) as the first try asked
    np.testing.assert_allclose(results['trajectory'].get_array('times'), np.arange(0, 201, 40) / 1000.0)  # ps


@pytest.mark.requires_codes
def test_a_run_stopped_by_its_timeout_is_continued_into_the_trajectory_of_an_uninterrupted_run(
        aiida_profile, lps_code, tiny_gap_xml, monkeypatch):
    """A 1-microsecond LAMMPS timeout checked every 6 steps stops a piece 6 steps after each run it starts: at step
    6 (in the NVT ramp, not dumped; no thermo step) and 16 (NVE; a thermo and dump step, so printed by both pieces).
    The continuations keep the thermostat state, velocities and ramp, and the joined outputs equal those of the same
    run without a timeout."""
    parameters = {'timestep_fs': 2.0, 'initial_temperature_K': 600, 'seed': 1, 'thermo_every': 4, 'dump_every': 2,
                  'stages': [{'ensemble': 'nvt', 'steps': 10, 'temperature_K': 600, 'final_temperature_K': 900,
                              'damping_fs': 20.0, 'dump': False},
                             {'ensemble': 'nve', 'steps': 10}]}
    potential = GapPotentialData(tiny_gap_xml)

    def run(max_wallclock_seconds=None):
        builder = LammpsMdBaseWorkChain.get_builder()
        builder.lammps = {'code': lps_code('lmp'), 'structure': li4ps3(), 'potential': potential,
                          'parameters': orm.Dict(parameters)}
        if max_wallclock_seconds:
            builder.lammps.metadata.options.max_wallclock_seconds = max_wallclock_seconds
        results, node = run_get_node(builder)
        assert node.is_finished_ok, node.exit_message
        return results, node

    whole, _ = run()
    monkeypatch.setattr(LammpsMdCalculation, 'TIMEOUT_FRACTION', 1.0e-6)  # of 1 s
    monkeypatch.setattr(LammpsMdCalculation, 'TIMEOUT_CHECK_EVERY', 6)
    joined, node = run(max_wallclock_seconds=1)

    pieces = sorted(node.called, key=lambda child: child.ctime)
    calculations = [child for child in pieces if child.process_label == 'LammpsMdCalculation']
    assert [calc.exit_status for calc in calculations] == [EXIT_CODES.ERROR_STOPPED_BEFORE_WALLTIME.status] * 2 + [0]
    assert [calc.inputs.parameters.get('restart_step', 0) for calc in calculations] == [0, 6, 16]
    for before, after in zip(calculations, calculations[1:]):  # each continues from the file of the one before
        assert after.inputs.restart_file.uuid == before.outputs.restart_file.uuid
    reports = '\n'.join(log.message for log in orm.Log.collection.get_logs_for(node))
    assert 'wall time at step 6 of 20: continuing from frame 6 (restart file) with the 4 remaining steps of stage 0 ' \
           'and 1 later stage(s) (restart 1 of 10)' in reports
    assert 'wall time at step 16 of 20: continuing from frame 16' in reports

    # one trajectory and one thermo table: the frames, times and rows of the uninterrupted run, none twice
    trajectory, thermo = joined['trajectory'], joined['thermo']
    assert trajectory.creator.process_label == 'join_lammps_md_pieces' and pieces[-1] == trajectory.creator
    join_inputs = trajectory.creator.base.links.get_incoming(link_type=LinkType.INPUT_CALC).all()
    assert {link.node.uuid for link in join_inputs} == {  # the pieces' thermo and, where dumped, trajectory
        calc.outputs[name].uuid for calc in calculations for name in ('thermo', 'trajectory') if name in calc.outputs}
    np.testing.assert_array_equal(trajectory.get_stepids(), np.arange(10, 21, 2))
    np.testing.assert_array_equal(trajectory.get_stepids(), whole['trajectory'].get_stepids())
    np.testing.assert_allclose(trajectory.get_times(), whole['trajectory'].get_times())
    for name in ('Step', 'stage'):
        np.testing.assert_array_equal(thermo.get_array(name), whole['thermo'].get_array(name))
    # the same dynamics: positions, temperatures (the NVT ramp and thermostat state go on) and energies
    np.testing.assert_allclose(trajectory.get_positions(), whole['trajectory'].get_positions(), atol=1e-6)
    for name in ('Temp', 'PotEng', 'TotEng'):
        np.testing.assert_allclose(thermo.get_array(name), whole['thermo'].get_array(name), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(joined['msd'].get_array('msd_Li'), whole['msd'].get_array('msd_Li'), atol=1e-8)
