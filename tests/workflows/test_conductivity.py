"""ArrheniusWorkChain with the real lmp and the tiny Morse-trained GAP: plumbing, provenance and consistency.

The tiny GAP is not a physical LPS model (its 8-atom cell is a hot liquid at these temperatures), so the tests
check that every number is what the analysis functions give on the workflow's own nodes, not physical values.
"""
import re

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from aiida.manage.caching import enable_caching
from ase.build import bulk
from ase.data import atomic_masses, atomic_numbers
from fake_potentials import zero_snap

from aiida_lps.analysis.arrhenius import fit_arrhenius
from aiida_lps.analysis.conductivity import nernst_einstein_conductivity
from aiida_lps.analysis.diffusion import fit_diffusivity
from aiida_lps.analysis.msd import tracer_msd
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.workflows.conductivity import ArrheniusWorkChain
from aiida_lps.workflows.lammps_md_base import LammpsMdBaseWorkChain

TEMPERATURES_K = [1500.0, 2000.0, 2500.0]
#: 0.06 ps NVT + 0.4 ps NVE at 2 fs, 21 frames; the fixed window suits this hot liquid.
TINY_MD = {'equilibration_ps': 0.06, 'thermostat_damping_fs': 50.0, 'production_ps': 0.4,
           'production_ps_ensemble': 0.4, 'dump_interval_fs': 20.0, 'seed': 11, 'min_width_A': 0.0, 'min_atoms': 8}


def masses(symbols):
    return np.array([atomic_masses[atomic_numbers[symbol]] for symbol in symbols])


def li4ps3(symbols=('Li',) * 4 + ('P',) + ('S',) * 3, coincide=False):
    """The 8-atom cell of the tiny GAP's training set; ``coincide`` puts atom 1 onto atom 0, which stops lmp."""
    atoms = bulk('Li', 'fcc', a=4.6, cubic=True).repeat((2, 1, 1))
    atoms.set_chemical_symbols(list(symbols))
    if coincide:
        atoms.positions[1] = atoms.positions[0]
    return orm.StructureData(ase=atoms)


def tiny_builder(code, structures, potential, temperatures=TEMPERATURES_K, **overrides):
    builder = ArrheniusWorkChain.get_builder_from_protocol(
        code, structures, potential, temperatures, protocol='fast', overrides={**TINY_MD, **overrides})
    builder.fit_start_ps = orm.Float(0.06)
    builder.fit_end_ps = orm.Float(0.2)
    # the mean temperature of an 8-atom NVE run scatters by ~20 % (1/sqrt(3N)); the check has core tests
    builder.max_temperature_deviation = orm.Float(10.0)
    return builder


@pytest.mark.requires_codes
def test_ensemble_with_a_failing_member_gives_consistent_nodes(aiida_profile, lps_code, tiny_gap_xml):
    potential = GapPotentialData(tiny_gap_xml).store()
    structures = {'cell': li4ps3(), 'defect': li4ps3(coincide=True)}  # runs in label order: cell's seeds first
    builder = tiny_builder(lps_code('lmp'), structures, potential)
    builder.include_flowing = orm.Bool(True)
    with enable_caching(identifier='aiida.calculations:lps.lammps_md'):
        results, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message

    # every structure x temperature ran in a LammpsMdBaseWorkChain with its own seed and the protocol's wall time;
    # the defect member failed everywhere and was skipped
    md_links = node.base.links.get_outgoing(node_class=orm.WorkChainNode).all()
    md_runs = {link.link_label: link.node for link in md_links}
    assert len(md_runs) == 6 and {run.process_label for run in md_runs.values()} == {'LammpsMdBaseWorkChain'}
    assert len({run.inputs.lammps.parameters['seed'] for run in md_runs.values()}) == 6
    assert {run.called[0].get_option('max_wallclock_seconds') for run in md_runs.values()} == {3600}
    assert all(not run.is_finished_ok for label, run in md_runs.items() if 'defect' in label)
    reports = '\n'.join(log.message for log in orm.Log.collection.get_logs_for(node))
    assert reports.count('skipped failed MD of `defect`') == 3

    volume_A3 = structures['cell'].get_cell_volume()
    for temperature in TEMPERATURES_K:
        label = f'T{temperature:g}K'
        summary = results['conductivities'][label].get_dict()
        assert summary['temperature_K'] == temperature and summary['structures_used'] == ['cell']
        assert re.search(rf'{temperature:g} K \(1/1 structures, NVE mean \d+ K\): D = ', reports)
        # provenance: the conductivity node comes from this temperature's trajectory of the good cell
        calculation = results['conductivities'][label].creator
        trajectory = calculation.inputs.trajectory_cell
        md = trajectory.creator
        assert md.caller.uuid == md_runs[f'md_cell_{label}'].uuid
        assert md.inputs.parameters['initial_temperature_K'] == temperature
        assert md.inputs.potential.uuid == potential.uuid
        assert trajectory.numsteps == 21  # 0.4 ps of 20 fs frames, equilibration not stored
        thermo = calculation.inputs.thermo_cell
        assert thermo.uuid == md.outputs.thermo.uuid
        nve = thermo.get_array('stage') == 1
        assert summary['production_temperature_K'] == pytest.approx(thermo.get_array('Temp')[nve].mean())
        # sigma and the Arrhenius abscissa use the measured temperature; Li4PS3 has no library polymorphs
        assert summary['measured_temperature_K'] == summary['production_temperature_K'] != temperature
        assert summary['final_phases'] == {} and summary['phase_changed'] is False
        # D is the GLS fit of the tracer MSD of this trajectory, sigma is Nernst-Einstein applied to it
        symbols = np.array(trajectory.symbols)
        fit = fit_diffusivity(tracer_msd(trajectory.get_positions(), np.flatnonzero(symbols == 'Li'),
                                         np.flatnonzero(symbols != 'Li'), masses(symbols)).sum(axis=-1),
                              0.02, fit_start_ps=0.06, fit_end_ps=0.2)
        assert summary['diffusivity_A2_per_ps'] == pytest.approx(fit.diffusivity_A2_per_ps, rel=1e-10)
        sigma, sigma_err = nernst_einstein_conductivity(
            summary['diffusivity_A2_per_ps'], summary['diffusivity_err_A2_per_ps'], n_carriers=4,
            volume_A3=volume_A3, temperature_K=summary['measured_temperature_K'])
        assert summary['conductivity_S_per_cm'] == pytest.approx(sigma, rel=1e-10)
        assert summary['conductivity_err_S_per_cm'] == pytest.approx(sigma_err, rel=1e-10)

    # the Arrhenius result is fit_arrhenius on the per-temperature nodes
    per_temperature = [results['conductivities'][f'T{t:g}K'].get_dict() for t in TEMPERATURES_K]
    direct = fit_arrhenius([s['measured_temperature_K'] for s in per_temperature],
                           [s['conductivity_S_per_cm'] for s in per_temperature],
                           [s['conductivity_err_S_per_cm'] for s in per_temperature])
    result = results['result'].get_dict()
    assert result['activation_energy_eV'] == pytest.approx(direct.activation_energy_eV, rel=1e-10)
    assert result['activation_energy_err_eV'] == pytest.approx(direct.activation_energy_err_eV, rel=1e-10)
    assert result['conductivity_300K_S_per_cm'] == pytest.approx(direct.conductivity_S_per_cm(300.0), rel=1e-8)
    # an upper bound beyond the float range (this hot, noisy tiny cell: exp(t s_ln) overflows) is stored as None
    expected = [float(bound) if np.isfinite(bound) else None for bound in direct.conductivity_interval_S_per_cm(300.0)]
    low, high = result['conductivity_300K_interval_S_per_cm']
    assert low == pytest.approx(expected[0], rel=1e-8, abs=1e-300)
    assert high == (None if expected[1] is None else pytest.approx(expected[1], rel=1e-8))
    assert re.search(r'sigma\(300 K\) = \S+ S/cm \(95 % interval \S+ to \S+ S/cm, log-normal\) from 3 temperatures '
                     r'at their measured T \(Student t, 1 degrees of freedom', reports + '\n'.join(
                         log.message for log in orm.Log.collection.get_logs_for(node)))
    flowing = [f'{s["temperature_K"]:g}' for s in per_temperature if s['matrix_flowing']]
    assert result['flowing_included'] == flowing and result['excluded'] == {}
    assert results['result'].creator.inputs.include_flowing.value is True
    assert results['arrhenius_plot'].creator.inputs.result.uuid == results['result'].uuid
    assert results['arrhenius_plot'].get_content(mode='rb').startswith(b'\x89PNG')

    # the same MD from the cache, analysed with the automatic window: 0.4 ps of liquid is never diffusive
    automatic = tiny_builder(lps_code('lmp'), {'cell': li4ps3()}, potential)
    del automatic.fit_start_ps
    del automatic.fit_end_ps
    with enable_caching(identifier='aiida.calculations:lps.lammps_md'):
        _, again = run_get_node(automatic)
    calculations = [run for run in again.called_descendants if isinstance(run, orm.CalcJobNode)]
    assert len(calculations) == 3 and all(run.base.caching.is_created_from_cache for run in calculations)
    assert again.exit_status == ArrheniusWorkChain.exit_codes.WARNING_NEVER_DIFFUSIVE.status, again.exit_message


@pytest.mark.requires_codes
def test_a_temperature_without_any_finished_run_stops_the_workchain(aiida_profile, lps_code, tiny_gap_xml):
    defect = li4ps3(coincide=True)
    builder = tiny_builder(lps_code('lmp'), {'defect': defect}, GapPotentialData(tiny_gap_xml), min_atoms=16)
    _, node = run_get_node(builder)
    assert node.exit_status == ArrheniusWorkChain.exit_codes.ERROR_ALL_MD_FAILED_AT_TEMPERATURE.status
    assert '1500 K failed: `defect` LammpsMdBaseWorkChain<' in node.exit_message
    # the 8-atom cell was replicated to 16 atoms before MD: 1x1x2, as every doubling leaves a 4.6 A width
    supercell = node.base.links.get_outgoing(link_label_filter='supercell_defect').one().node.outputs.result
    assert len(supercell.sites) == 16 and supercell.get_cell_volume() == pytest.approx(2 * defect.get_cell_volume())
    np.testing.assert_allclose(np.diag(supercell.cell), [9.2, 4.6, 9.2])
    calculations = [run for run in node.called_descendants if isinstance(run, orm.CalcJobNode)]
    assert calculations and all(run.inputs.structure.uuid == supercell.uuid for run in calculations)


def test_fewer_than_three_temperatures_are_refused(aiida_profile, lps_code, tiny_gap_xml):
    with pytest.raises(ValueError, match=r'at least 3 distinct temperatures, got \[500.0, 600.0\]'):
        tiny_builder(lps_code('lmp'), li4ps3(), GapPotentialData(tiny_gap_xml), temperatures=[500, 600, 600])


def test_species_the_potential_lacks_are_named(aiida_profile, lps_code, tiny_gap_xml):
    structure = li4ps3(('Li',) * 3 + ('Na', 'P') + ('S',) * 2 + ('Ge',))
    builder = tiny_builder(lps_code('lmp'), {'lgps': structure}, GapPotentialData(tiny_gap_xml))
    with pytest.raises(ValueError, match=r"structure `lgps` contains \['Ge', 'Na'\], which the GAP potential"):
        run_get_node(builder)


def test_a_fit_window_beyond_the_run_is_refused(aiida_profile, lps_code, tiny_gap_xml):
    builder = tiny_builder(lps_code('lmp'), li4ps3(), GapPotentialData(tiny_gap_xml))
    builder.fit_end_ps = orm.Float(5.0)
    with pytest.raises(ValueError, match=r'reaches beyond the 0.4 ps production run'):
        run_get_node(builder)


def test_protocols_follow_the_thesis(aiida_profile, lps_code, tiny_gap_xml):
    potential = GapPotentialData(tiny_gap_xml)
    ensemble = {'a': li4ps3(), 'b': li4ps3()}
    precise = ArrheniusWorkChain.get_builder_from_protocol(lps_code('lmp'), ensemble, potential, [400, 500, 600])
    assert precise.md.timestep_fs.value == 2.0 and precise.md.equilibration_ps.value == 100.0
    assert precise.md.thermostat_damping_fs.value == 2000.0
    assert precise.md.production_ps.value == 1500.0  # an ensemble of glasses: 1.5 ns each
    single = ArrheniusWorkChain.get_builder_from_protocol(lps_code('lmp'), li4ps3(), potential, [400, 500, 600])
    assert single.md.production_ps.value == 3000.0 and list(single.structures) == ['structure']
    assert single.supercell.min_atoms.value == 128


def fake_builder(lps_code, structures, **kwargs):
    """The ``fast`` builder of the tiny settings with a SNAP node that runs nothing (for tests without codes)."""
    return ArrheniusWorkChain.get_builder_from_protocol(lps_code('lmp'), structures, zero_snap(), TEMPERATURES_K,
                                                        protocol='fast', overrides=TINY_MD, **kwargs)


def test_md_runs_are_restart_workchains_with_the_md_options(generate_workchain, lps_code):
    """Each MD run is a LammpsMdBaseWorkChain with the ``md`` namespace's options and handler overrides."""
    builder = fake_builder(lps_code, {'cell': li4ps3()}, options={'account': 'project123'})
    builder.md.handler_overrides = orm.Dict({'handle_lost_atoms': {'enabled': False}})
    process = generate_workchain('lps.conductivity.arrhenius', builder._inputs(prune=True))
    process.prepare_structures()
    inputs = process.md_run_inputs('lammps', process.ctx.structures['cell'], 2000.0, 12, 'md_cell_T2000K')
    options = inputs.lammps['metadata']['options']
    assert (options['account'], options['max_wallclock_seconds']) == ('project123', 3600)
    assert inputs.handler_overrides.get_dict() == {'handle_lost_atoms': {'enabled': False}}
    assert inputs.metadata == {'call_link_label': 'md_cell_T2000K'}
    parameters = inputs.lammps['parameters'].get_dict()
    assert (parameters['seed'], parameters['initial_temperature_K']) == (12, 2000.0)
    assert [stage['steps'] for stage in parameters['stages']] == [30, 200]  # 0.06 ps NVT, 0.4 ps NVE at 2 fs
    restart = generate_workchain('lps.lammps_md_base', inputs)  # the inputs are valid for the restart work chain
    assert restart.inputs.lammps.structure.uuid == process.ctx.structures['cell'].uuid


def test_failed_md_runs_are_skipped_until_a_temperature_has_none(generate_workchain, generate_workflow_node,
                                                                 lps_code):
    """inspect_md on fake finished and failed LammpsMdBaseWorkChains: failures are named and skipped; a temperature
    whose runs all failed stops the work chain with 310."""
    lost_atoms = LammpsMdBaseWorkChain.exit_codes.ERROR_LOST_ATOMS.format(
        pk=1, timestep_fs=0.5, message='atoms were lost')
    process = generate_workchain('lps.conductivity.arrhenius', fake_builder(
        lps_code, {'cell': li4ps3(), 'defect': li4ps3()})._inputs(prune=True))
    process.prepare_structures()
    for temperature in TEMPERATURES_K:
        for label in ('cell', 'defect'):
            process.ctx[f'md_{label}_T{temperature:g}K'] = generate_workflow_node(
                'lps.lammps_md_base', lost_atoms if label == 'defect' else None)
    assert process.inspect_md() is None
    assert {label: list(runs) for label, runs in process.ctx.finished.items()} == {
        'T1500K': ['cell'], 'T2000K': ['cell'], 'T2500K': ['cell']}

    process.ctx['md_cell_T2000K'] = generate_workflow_node('lps.lammps_md_base', lost_atoms)
    exit_code = process.inspect_md()
    assert exit_code.status == ArrheniusWorkChain.exit_codes.ERROR_ALL_MD_FAILED_AT_TEMPERATURE.status
    failed = process.ctx['md_cell_T2000K']
    assert exit_code.message.startswith(f'every MD run at 2000 K failed: `cell` LammpsMdBaseWorkChain<{failed.pk}> '
                                        'exit 312: LammpsMdCalculation<1> lost atoms even with the time step reduced')
