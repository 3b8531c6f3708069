"""LammpsMdBaseWorkChain: each process handler on a fake finished LammpsMdCalculation (milliseconds, no code), and
one real LAMMPS run that loses atoms, is restarted with a shorter time step and finishes."""
import numpy as np
import pytest
from aiida import orm
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
    """Factory: the base work chain after one fake LammpsMdCalculation with ``exit_code`` (None: finished ok)."""

    def factory(exit_code=None, parameters=PARAMETERS, **child):
        inputs = {'lammps': {'code': lps_code('lmp'), 'structure': li4ps3(), 'potential': zero_snap(),
                             'parameters': orm.Dict(parameters)}}
        return generate_restart_workchain(ENTRY_POINT, inputs, exit_code=exit_code,
                                          inputs={'parameters': orm.Dict(parameters)}, **child)

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


@pytest.mark.parametrize('exit_code', [EXIT_CODES.ERROR_SCHEDULER_OUT_OF_WALLTIME, EXIT_CODES.ERROR_INCOMPLETE_RUN])
def test_out_of_walltime_stops_with_311_naming_the_wall_time(md_workchain, exit_code):
    process = md_workchain(exit_code, options={'max_wallclock_seconds': 3600})
    result = process.inspect_process()
    assert result.status == LammpsMdBaseWorkChain.exit_codes.ERROR_OUT_OF_WALLTIME.status
    assert exit_code.message in result.message
    assert 'writes no restart file' in result.message and 'wall time (3600 s)' in result.message


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
