"""PwMdWorkChain with the real pw.x on 3-atom Li2S at the ``fast`` labels: NVE energy conservation, the outputs of the
LAMMPS path analysed by the same calcfunction, wall-time continuation without gap or repeated frame, refusals."""
import math
import re

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase.data import atomic_masses, atomic_numbers
from li2s_cells import FIXED_OCCUPATIONS, li2s

from aiida_lps.analysis.diffusion import fit_diffusivity
from aiida_lps.analysis.msd import tracer_msd
from aiida_lps.calculations.functions.conductivity_at_temperature import (
    conductivity_at_temperature,
)
from aiida_lps.calculations.functions.join_pw_md_segments import complete_steps
from aiida_lps.calculations.pw_md import PwMdCalculation
from aiida_lps.workflows.conductivity import ArrheniusWorkChain
from aiida_lps.workflows.pw_md import PwMdWorkChain

TEMPERATURE_K = 600.0
#: |E_kin + E_tot| span over an NVE run, eV per atom; measured 0.02 meV/atom over 16 steps of 1 fs.
NVE_TOLERANCE_EV_PER_ATOM = 1e-3


@pytest.fixture(autouse=True)
def quick_polls(aiida_localhost):
    """Seconds-long pw.x runs: poll the scheduler without the default pause."""
    aiida_localhost.set_minimum_job_poll_interval(0)


def md_builder(code, structure=None, **overrides):
    """The ``fast`` protocol on rattled Li2S (closed shell: fixed occupations), seed 7."""
    return PwMdWorkChain.get_builder_from_protocol(
        code, structure or li2s(1), TEMPERATURE_K, protocol='fast',
        overrides={'labelling_overrides': FIXED_OCCUPATIONS, 'seed': 7, **overrides})


def tracer_fit(trajectory, frame_interval_ps, fit_start_ps, fit_end_ps):
    """The GLS fit of the drift-corrected Li tracer MSD of ``trajectory``, as the conductivity analysis makes it."""
    symbols = np.array(trajectory.symbols)
    masses = np.array([atomic_masses[atomic_numbers[symbol]] for symbol in symbols])
    msd = tracer_msd(trajectory.get_positions(), np.flatnonzero(symbols == 'Li'), np.flatnonzero(symbols != 'Li'),
                     masses).sum(axis=-1)
    return fit_diffusivity(msd, frame_interval_ps, fit_start_ps=fit_start_ps, fit_end_ps=fit_end_ps)


def joined_conserved_energy(thermo):
    """E_kin + E_tot of the production steps, eV."""
    stage = thermo.get_array('stage')
    return thermo.get_array('TotEng')[stage == stage.max()]


@pytest.mark.requires_codes
def test_md_conserves_energy_and_gives_the_lammps_outputs(aiida_profile, lps_code, pseudo_family):
    """4 Andersen + 16 NVE steps of 1 fs, one pw.x run per stage."""
    results, node = run_get_node(md_builder(lps_code('pw')))
    assert node.is_finished_ok, node.exit_message
    runs = sorted((c for c in node.called if isinstance(c, orm.CalcJobNode)), key=lambda c: c.ctime)
    assert [run.inputs.parameters['IONS']['ion_temperature'] for run in runs] == ['andersen', 'not_controlled']
    assert all(run.inputs.parameters['IONS']['wfc_extrapolation'] == 'second_order' for run in runs)
    assert runs[0].inputs.parameters['CONTROL']['dt'] == pytest.approx(1.0 / 0.0483776865, rel=1e-6)

    trajectory, thermo = results['trajectory'], results['thermo']
    assert isinstance(trajectory, orm.TrajectoryData) and trajectory.numsteps == 16
    assert list(trajectory.symbols) == ['S', 'Li', 'Li']
    np.testing.assert_array_equal(trajectory.get_stepids(), np.arange(4, 20))
    np.testing.assert_allclose(trajectory.get_times(), np.arange(4, 20) * 1e-3)
    np.testing.assert_array_equal(thermo.get_array('stage'), [0] * 4 + [1] * 16)
    # the production run started where the equilibration's Verlet step would have gone: its first frame is
    # the equilibration run's frame 5 (index 4), which that run computed and did not keep
    equilibration_frames = runs[0].outputs.output_trajectory.get_positions()
    np.testing.assert_allclose(trajectory.get_positions()[0], equilibration_frames[4], atol=1e-8)
    # starting velocities: Maxwell-Boltzmann at exactly 600 K (pw.x's temperature, 3n - 3 degrees of freedom)
    assert thermo.get_array('Temp')[0] == pytest.approx(TEMPERATURE_K, rel=1e-4)

    # NVE: E_kin + E_tot conserved; it is E_kin + the SCF energy of each frame
    conserved = joined_conserved_energy(thermo)
    assert np.ptp(conserved) / 3 < NVE_TOLERANCE_EV_PER_ATOM, np.ptp(conserved)
    np.testing.assert_allclose(thermo.get_array('TotEng'), thermo.get_array('KinEng') + thermo.get_array('PotEng'),
                               atol=1e-4)
    # the kinetic energy is the one of the central-difference velocities of the stored positions (no unit slip)
    positions = trajectory.get_positions()
    velocities = (positions[2:] - positions[:-2]) / (2 * 1e-3)  # Angstrom/ps
    masses = np.array([atomic_masses[atomic_numbers[symbol]] for symbol in trajectory.symbols])
    kinetic_eV = 0.5 * np.einsum('i,fij->f', masses, velocities**2) * 1.0364269e-4
    np.testing.assert_allclose(kinetic_eV, thermo.get_array('KinEng')[5:-1], rtol=2e-3)

    # the conductivity calcfunction of ArrheniusWorkChain reads these outputs as it reads LAMMPS's
    summary = conductivity_at_temperature(
        temperature_K=orm.Float(TEMPERATURE_K), mobile_species=orm.Str('Li'), charge=orm.Float(1.0),
        max_temperature_deviation=orm.Float(10.0), fit_start_ps=orm.Float(0.002), fit_end_ps=orm.Float(0.008),
        trajectory_li2s=trajectory, thermo_li2s=thermo).get_dict()
    fit = tracer_fit(trajectory, 0.001, 0.002, 0.008)
    assert summary['diffusivity_A2_per_ps'] == pytest.approx(fit.diffusivity_A2_per_ps, rel=1e-10)
    assert summary['production_temperature_K'] == pytest.approx(thermo.get_array('Temp')[4:].mean())
    np.testing.assert_allclose(results['msd'].get_array('lag_ps'), np.arange(16) * 1e-3, atol=1e-12)


@pytest.mark.requires_codes
def pw_wall_seconds(calculation, routine: str) -> float:
    """Wall seconds of ``routine`` in the timing report of a pw.x run shorter than a minute."""
    stdout = calculation.outputs.retrieved.base.repository.get_object_content('aiida.out')
    return float(re.search(rf'{routine}\s+:.*?([\d.]+)s WALL', stdout).group(1))


@pytest.mark.requires_codes
def test_a_run_stopped_at_its_wall_time_continues_from_its_last_step(aiida_profile, lps_code, pseudo_family):
    """NVE only, 20 steps; the wall time is set from a probe run so that pw.x stops after about 8 steps whatever the
    load (1.9 s per step on the shared 2-core machine, 0.4 s idle), and the next run continues."""
    _, probe = run_get_node(md_builder(lps_code('pw'), equilibration_steps=0, production_steps=4))
    probe_run = next(c for c in probe.called if isinstance(c, orm.CalcJobNode))
    start, total = pw_wall_seconds(probe_run, 'init_run'), pw_wall_seconds(probe_run, 'PWSCF')
    wall = math.ceil((start + 8 * (total - start) / 6) / PwMdWorkChain.MAX_SECONDS_FRACTION)  # s, an integer
    builder = md_builder(lps_code('pw'), equilibration_steps=0, production_steps=20, max_wallclock_seconds=wall)
    results, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    runs = {link.link_label: link.node for link in node.base.links.get_outgoing(node_class=PwMdCalculation).all()}
    assert len(runs) >= 2, f"pw.x made all 22 steps within {wall} s"
    first_run = runs['segment_1']
    assert first_run.exit_status == PwMdCalculation.exit_codes.ERROR_OUT_OF_WALLTIME.status
    reports = '\n'.join(log.message for log in orm.Log.collection.get_logs_for(node))
    assert 'reached its wall time after' in reports

    trajectory, thermo = results['trajectory'], results['thermo']
    np.testing.assert_array_equal(trajectory.get_stepids(), np.arange(20))  # no gap, no repeat
    positions = trajectory.get_positions()
    # no repeated frame
    assert np.all(np.abs(np.diff(positions, axis=0)).max(axis=(1, 2)) > 1e-4)
    kept = complete_steps(first_run) - 2  # the run's frames up to the one the next run started from
    assert kept >= 2, f'segment_1 completed {complete_steps(first_run)} steps'
    first = first_run.outputs.output_trajectory.get_positions()
    np.testing.assert_allclose(positions[:kept], first[:kept], atol=1e-10)
    # the change of Verlet's second differences (accelerations) across the joins is that within one run
    jerk = np.abs(np.diff(positions, n=3, axis=0)).max()
    assert jerk < 5 * np.abs(np.diff(first[:kept + 2], n=3, axis=0)).max()
    # energy is conserved across the joins as within one run
    assert np.ptp(joined_conserved_energy(thermo)) / 3 < NVE_TOLERANCE_EV_PER_ATOM


def test_md_without_velocities_is_refused(aiida_profile, lps_code, pseudo_family):
    builder = md_builder(lps_code('pw'))
    del builder.md.seed
    with pytest.raises(ValueError, match=r'no starting velocities: give `md.seed`'):
        run_get_node(builder)


def test_a_time_step_above_the_li_bound_is_refused(aiida_profile, lps_code, pseudo_family):
    with pytest.raises(ValueError, match=r'a time step of 2.5 fs is above the 2.0 fs bound for cells with Li'):
        run_get_node(md_builder(lps_code('pw'), timestep_fs=2.5))


def test_velocities_of_the_wrong_shape_are_refused(aiida_profile, lps_code, pseudo_family):
    builder = md_builder(lps_code('pw'))
    velocities = orm.ArrayData()
    velocities.set_array('velocities', np.zeros((2, 3)))
    builder.velocities = velocities
    with pytest.raises(ValueError, match=r'`velocities` has shape \(2, 3\), the structure has 3 sites'):
        run_get_node(builder)


def fake_md_run(computer, n_steps: int, first_position: float, scf_failure: bool, exit_status: int = 0):
    """A finished PwMdCalculation node whose pw.x output has ``n_steps`` complete MD steps of Li2S moving at
    0.01 Angstrom per step along x, then (``scf_failure``) an SCF that did not converge; no pw.x runs."""
    from aiida.common.links import LinkType

    calculation = orm.CalcJobNode(computer=computer, process_type='aiida.calculations:lps.pw_md')
    calculation.set_process_state('finished')
    calculation.set_exit_status(exit_status)
    calculation.store()
    blocks = [f'     Entering Dynamics:    iteration = {k:5d}\n     kinetic energy (Ekin) = 0.001 Ry\n'
              f'     temperature = 600.0 K\n     Ekin + Etot (const) = -50.0 Ry\n' for k in range(1, n_steps + 1)]
    stdout = ''.join(blocks) + ('     convergence NOT achieved after 80 iterations: stopping\n' if scf_failure else '')
    retrieved = orm.FolderData()
    retrieved.base.repository.put_object_from_bytes(stdout.encode(), 'aiida.out')
    atoms = li2s(1).get_ase()
    frames = n_steps + int(scf_failure)  # the failed step's positions come without an energy
    positions = atoms.positions[None] + (first_position + 0.01 * np.arange(frames))[:, None, None] * [1, 0, 0]
    trajectory = orm.TrajectoryData()
    trajectory.set_trajectory(atoms.get_chemical_symbols(), positions, cells=np.array([atoms.cell[:]] * frames))
    trajectory.set_array('energy', np.full(n_steps, -680.0))
    for node, label in ((retrieved, 'retrieved'), (trajectory, 'output_trajectory')):
        node.base.links.add_incoming(calculation, link_type=LinkType.CREATE, link_label=label)
        node.store()
    return calculation


def set_up_md(code):
    """A PwMdWorkChain of 20 NVE steps, instantiated and set up but not run: its steps are called by hand."""
    from aiida.engine.utils import instantiate_process
    from aiida.manage import get_manager

    builder = md_builder(code, equilibration_steps=0, production_steps=20)
    process = instantiate_process(get_manager().get_runner(), PwMdWorkChain, **builder._inputs(prune=True))
    process.setup()
    return process


def test_an_scf_failure_is_retried_once_with_less_mixing_then_stops_with_its_frames(
        aiida_profile, aiida_localhost, lps_code, pseudo_family):
    process = set_up_md(lps_code('pw'))
    beta = process.ctx.mixing_beta

    # first failure after 7 complete steps: 5 frames kept, the retry starts at frame 6 with half the mixing beta
    process.ctx.segments.append('segment_1')
    process.ctx.current = fake_md_run(aiida_localhost, 7, 0.0, scf_failure=True)
    assert process.inspect_segment() is None
    assert process.ctx.scf_retried and process.ctx.mixing_beta == beta / 2
    assert process.ctx.first_step == 5 and process.segment_parameters(17)['ELECTRONS']['mixing_beta'] == beta / 2
    np.testing.assert_allclose(process.ctx.structure.get_ase().positions[0],
                               li2s(1).get_ase().positions[0] + [0.05, 0, 0])
    np.testing.assert_allclose(process.ctx.velocities.get_array('velocities'), [[10.0, 0, 0]] * 3)  # 0.01 A per fs
    reports = '\n'.join(log.message for log in orm.Log.collection.get_logs_for(process.node))
    assert 'SCF not converged at step 7; retrying once from step 5 with mixing_beta' in reports

    # the retry fails too after 4 steps: exit 320, and the outputs hold the 5 + 4 frames computed
    process.ctx.segments.append('segment_2')
    process.ctx.current = fake_md_run(aiida_localhost, 4, 0.05, scf_failure=True)
    exit_code = process.inspect_segment()
    assert exit_code.status == PwMdWorkChain.exit_codes.ERROR_SCF_NOT_CONVERGED.status
    assert 'at step 9 again after the retry' in exit_code.message and 'the 9 frames before it' in exit_code.message
    trajectory = process.outputs['trajectory']
    np.testing.assert_array_equal(trajectory.get_stepids(), np.arange(9))
    np.testing.assert_allclose(np.diff(trajectory.get_positions()[:, 0, 0]), 0.01)  # no gap, no repeat


def test_a_failed_pw_run_and_a_run_too_short_to_continue_stop_with_the_frames_so_far(
        aiida_profile, aiida_localhost, lps_code, pseudo_family):
    failed = set_up_md(lps_code('pw'))
    failed.ctx.segments.append('segment_1')
    failed.ctx.current = fake_md_run(aiida_localhost, 4, 0.0, scf_failure=False, exit_status=305)
    exit_code = failed.inspect_segment()
    assert exit_code.status == PwMdWorkChain.exit_codes.ERROR_PW_FAILED.status and 'exit 305' in exit_code.message
    np.testing.assert_array_equal(failed.outputs['trajectory'].get_stepids(), np.arange(4))

    short = set_up_md(lps_code('pw'))
    walltime = PwMdCalculation.exit_codes.ERROR_OUT_OF_WALLTIME.status
    for index, n_steps in enumerate((6, 2)):  # 4 frames kept, then a run that made only 2 steps
        short.ctx.segments.append(f'segment_{index + 1}')
        short.ctx.current = fake_md_run(aiida_localhost, n_steps, 0.04 * index, scf_failure=False,
                                        exit_status=walltime)
        exit_code = short.inspect_segment()
    assert exit_code.status == PwMdWorkChain.exit_codes.ERROR_SEGMENT_TOO_SHORT.status
    assert 'completed 2 MD steps' in exit_code.message
    np.testing.assert_array_equal(short.outputs['trajectory'].get_stepids(), np.arange(4))


#: ArrheniusWorkChain at 1 fs: 2 Andersen steps, 20 NVE steps (the fewest frames it accepts), every step stored.
TINY_AIMD = {'timestep_fs': 1.0, 'equilibration_ps': 0.002, 'thermostat_damping_fs': 20.0, 'production_ps': 0.02,
             'dump_interval_fs': 1.0, 'seed': 3, 'min_width_A': 0.0, 'min_atoms': 0,
             'labelling_overrides': FIXED_OCCUPATIONS}


def arrhenius_pw_builder(code, **overrides):
    builder = ArrheniusWorkChain.get_builder_from_protocol(
        code, li2s(1), None, [600.0, 800.0, 1000.0], protocol='fast', overrides={**TINY_AIMD, **overrides},
        engine='pw')
    builder.fit_start_ps, builder.fit_end_ps = orm.Float(0.002), orm.Float(0.008)
    builder.max_temperature_deviation = orm.Float(10.0)  # 3 atoms: the NVE temperature is far from T
    return builder


@pytest.mark.requires_codes
def test_arrhenius_with_the_pw_engine_analyses_pw_trajectories(aiida_profile, lps_code, pseudo_family):
    results, node = run_get_node(arrhenius_pw_builder(lps_code('pw')))
    assert node.is_finished_ok, node.exit_message
    runs = {link.link_label: link.node for link in node.base.links.get_outgoing(node_class=orm.WorkChainNode).all()}
    assert sorted(runs) == ['md_structure_T1000K', 'md_structure_T600K', 'md_structure_T800K']
    assert sorted(run.inputs.md.seed.value for run in runs.values()) == [3, 4, 5]
    for temperature in (600, 800, 1000):
        run = runs[f'md_structure_T{temperature}K']
        assert run.process_class is PwMdWorkChain and run.inputs.md.temperature_K.value == temperature
        assert run.inputs.md.production_steps.value == 20 and run.inputs.md.equilibration_steps.value == 2
        calculation = results['conductivities'][f'T{temperature}K'].creator
        assert calculation.inputs.trajectory_structure.uuid == run.outputs.trajectory.uuid
        assert calculation.inputs.thermo_structure.uuid == run.outputs.thermo.uuid
        summary = results['conductivities'][f'T{temperature}K'].get_dict()
        fit = tracer_fit(run.outputs.trajectory, 0.001, 0.002, 0.008)
        assert summary['diffusivity_A2_per_ps'] == pytest.approx(fit.diffusivity_A2_per_ps, rel=1e-10)
    assert 'activation_energy_eV' in results['result'].get_dict()


def test_arrhenius_pw_engine_refuses_a_time_step_above_the_li_bound(aiida_profile, lps_code, pseudo_family):
    builder = arrhenius_pw_builder(lps_code('pw'), timestep_fs=2.5, dump_interval_fs=5.0, production_ps=0.1)
    with pytest.raises(ValueError, match=r'a time step of 2.5 fs is above the 2.0 fs bound for cells with Li'):
        run_get_node(builder)


def test_arrhenius_lammps_engine_needs_a_potential(aiida_profile, lps_code, pseudo_family):
    builder = arrhenius_pw_builder(lps_code('pw'))
    builder.engine = orm.Str('lammps')
    with pytest.raises(ValueError, match=r'the lammps engine needs a `potential`'):
        run_get_node(builder)


@pytest.mark.requires_codes
def test_validation_runs_the_potential_and_pw_on_the_same_cell_and_compares_d(
        aiida_profile, lps_code, pseudo_family, tiny_gap_xml):
    from aiida_lps.data.gap_potential import GapPotentialData
    from aiida_lps.workflows.md_validation import MdValidationWorkChain

    structure = li2s(1)
    builder = MdValidationWorkChain.get_builder_from_protocol(
        lps_code('lmp'), lps_code('pw'), structure, GapPotentialData(tiny_gap_xml), 800.0, protocol='fast',
        overrides=TINY_AIMD)
    builder.fit_start_ps, builder.fit_end_ps = orm.Float(0.002), orm.Float(0.008)
    results, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    mlip = node.base.links.get_outgoing(link_label_filter='md_mlip').one().node
    dft = node.base.links.get_outgoing(link_label_filter='md_dft').one().node
    assert mlip.process_label == 'LammpsMdBaseWorkChain' and dft.process_class is PwMdWorkChain
    assert mlip.inputs.lammps.structure.uuid == dft.inputs.structure.uuid == structure.uuid
    assert mlip.inputs.lammps.parameters['seed'] == dft.inputs.md.seed.value == 3
    assert mlip.inputs.lammps.parameters['initial_temperature_K'] == dft.inputs.md.temperature_K.value == 800.0

    result = results['result'].get_dict()
    fits = {name: tracer_fit(run.outputs.trajectory, 0.001, 0.002, 0.008) for name, run in (('mlip', mlip),
                                                                                             ('dft', dft))}
    for name, fit in fits.items():
        assert result[name]['diffusivity_A2_per_ps'] == pytest.approx(fit.diffusivity_A2_per_ps, rel=1e-10)
    ratio = fits['mlip'].diffusivity_A2_per_ps / fits['dft'].diffusivity_A2_per_ps
    assert result['ratio'] == pytest.approx(ratio, rel=1e-10)
    relative = np.hypot(*(fit.diffusivity_err_A2_per_ps / fit.diffusivity_A2_per_ps for fit in fits.values()))
    assert result['ratio_err'] == pytest.approx(ratio * relative, rel=1e-10)
    # both MSD curves on the common lags: LAMMPS stores 21 production frames, pw.x 20
    assert len(result['lag_ps']) == len(result['msd_A2']['mlip']) == len(result['msd_A2']['dft']) == 20
    assert result['msd_A2']['dft'][0] == 0.0 and result['msd_A2']['dft'][-1] > 0.0
    assert results['msd_plot'].get_content(mode='rb').startswith(b'\x89PNG')
