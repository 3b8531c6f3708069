"""InterfaceWorkChain: the sintering stage list, protocols, and a real run with lmp and the tiny Morse-trained GAP.

The tiny GAP is not a model of LPS, so the run checks plumbing, provenance and that every output is what the core
functions give on the workflow's own nodes, not physical values.
"""
import numpy as np
import pytest
from aiida.engine import run_get_node
from aiida.orm import StructureData, WorkChainNode
from ase import Atoms
from ase.build import bulk
from fake_potentials import header_only_gap

from aiida_lps.analysis.interface_domains import (
    DOMAIN_NAMES,
    InterfaceDomains,
    dynamic_domain_msd,
    interface_profile,
    static_domain_msd,
)
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.structures.interface import sintering_schedule
from aiida_lps.workflows.interface import InterfaceWorkChain, sintering_md_parameters
from aiida_lps.workflows.lammps_md_base import LammpsMdBaseWorkChain


#: 38 MD steps of 2 fs on the 128-atom (001) interface of the ``fast`` protocol (about 1.5 s per step here).
TINY_MD = {'sinter': {'heating_step_ps': 0.004, 'first_cooling_step_ps': 0.008, 'dump_interval_fs': 4.0},
           'production': {'equilibration_ps': 0.004, 'production_ps': 0.04, 'dump_interval_fs': 4.0}}


def test_thesis_sintering_becomes_one_nvt_stage_per_step():
    schedule = sintering_schedule(300, 1000, 300, heating_step_ps=5.0, first_cooling_step_ps=3.5)
    parameters = sintering_md_parameters(schedule, 7, timestep_fs=2.0, thermostat_damping_fs=200.0,
                                         dump_interval_fs=100.0)
    stages = parameters['stages']
    assert [stage['temperature_K'] for stage in stages] == [step.temperature_K for step in schedule]
    assert {stage['ensemble'] for stage in stages} == {'nvt'}
    steps = np.array([stage['steps'] for stage in stages])
    assert np.all(steps % 50 == 0)  # whole dump intervals of 100 fs = 50 steps
    assert np.all(steps[:8] == 2500)  # 5 ps heating steps
    # cooling 3.5, 5.25, 7.875, ... ps, each rounded to 0.1 ps
    assert np.allclose(steps[8:] * 2e-3, np.round(3.5 * 1.5 ** np.arange(7), 1))
    assert parameters['initial_temperature_K'] == 300 and parameters['seed'] == 7


def test_protocols_follow_the_thesis():
    assert set(InterfaceWorkChain.get_available_protocols()) == {'fast', 'precise'}
    precise = InterfaceWorkChain.get_protocol_inputs('precise')
    schedule = sintering_schedule(**{name: precise['sinter'][name] for name in (
        'start_temperature_K', 'max_temperature_K', 'final_temperature_K', 'heating_step_ps', 'first_cooling_step_ps',
        'temperature_step_K', 'cooling_time_factor')})
    assert sum(step.duration_ps for step in schedule) == pytest.approx(152.6, abs=0.1)  # thesis: about 150 ps
    assert precise['build']['repetitions'] == [4, 4, 4]


@pytest.mark.requires_codes
def test_small_interface_runs_and_outputs_match_the_core(aiida_profile, lps_code, tiny_gap_xml):
    potential = GapPotentialData(tiny_gap_xml).store()
    builder = InterfaceWorkChain.get_builder_from_protocol(lps_code('lmp'), potential, (0, 0, 1), protocol='fast',
                                                           overrides=TINY_MD)
    results, node = run_get_node(builder)
    # the Morse-trained GAP is no LPS model: the analyses may find no interface, but every output must be there
    scientific = {InterfaceWorkChain.exit_codes[name].status
                  for name in ('WARNING_NO_INTERFACE', 'WARNING_STRUCTURE_COLLAPSED')}
    assert node.is_finished_ok or node.exit_status in scientific, node.exit_message

    info = results['build_info']
    structure = results['structure']
    assert len(structure.sites) == sum(info['crystal_counts'].values()) + sum(info['glass_counts'].values())
    assert info['glass_density_g_cm3'] == pytest.approx(1.8)

    runs = {link.link_label: link.node for link in node.base.links.get_outgoing(node_class=WorkChainNode).all()}
    assert set(runs) == {'sintering', 'production'}
    assert {run.process_label for run in runs.values()} == {'LammpsMdBaseWorkChain'}
    md = {label: max(run.called, key=lambda child: child.ctime) for label, run in runs.items()}  # its last calculation
    assert {run.get_option('max_wallclock_seconds') for run in md.values()} == {3600}
    sintering = md['sintering'].inputs.parameters.get_dict()
    assert [stage['temperature_K'] for stage in sintering['stages']] == [300, 400, 500, 400, 300]
    assert [stage['steps'] for stage in sintering['stages']] == [2, 2, 2, 4, 6]  # cooling 8, 12 fs: x 1.5
    assert md['sintering'].inputs.structure.uuid == structure.uuid
    # the production starts from the last sintered frame
    assert md['production'].inputs.structure.uuid == results['sintered_structure'].uuid
    last = md['sintering'].outputs.trajectory.get_positions()[-1]
    sintered = results['sintered_structure'].get_ase()
    assert np.allclose(np.mod(sintered.get_scaled_positions(), 1.0) @ sintered.cell,
                       sintered.positions, atol=1e-8)
    difference = (sintered.positions - last) @ np.linalg.inv(sintered.cell)
    assert np.allclose(difference, np.round(difference), atol=1e-6)  # same atoms, wrapped by whole cells

    # every analysis is the core function applied to the production trajectory
    trajectory = md['production'].outputs.trajectory
    frames = [Atoms(list(trajectory.symbols), positions=p, cell=c, pbc=True)
              for p, c in zip(trajectory.get_positions(), trajectory.get_cells())]
    n_slices = len(results['crystallinity'].get_array('crystallinity'))
    assert n_slices == round(structure.cell[2][2] / info['layer_spacing_A'])
    profile, domains = interface_profile(frames, n_slices, symbol='S')
    assert np.allclose(results['crystallinity'].get_array('crystallinity'), profile.crystallinity)
    assert np.allclose(results['domains']['boundaries_A'], domains.boundaries_A)
    stored_domains = InterfaceDomains.from_dict(results['domains'].get_dict())
    li = np.flatnonzero(np.array(trajectory.symbols) == 'Li')
    cell = trajectory.get_cells()[0]
    for assignment, method in (('static', static_domain_msd), ('dynamic', dynamic_domain_msd)):
        expected = method(trajectory.get_positions(), cell, stored_domains, li,
                          masses=np.array([atom.mass for atom in frames[0]]))
        arrays = results[f'msd_{assignment}']
        for index, name in enumerate(DOMAIN_NAMES):
            assert np.allclose(arrays.get_array(f'msd_{name}'), expected.msd[index], equal_nan=True)
        # every Li is counted once per time origin, in one domain
        n_frames = trajectory.numsteps
        assert sum(arrays.get_array(f'samples_{name}')[0] for name in DOMAIN_NAMES) == len(li) * n_frames
    rdfs = results['region_rdfs']
    assert rdfs.get_array('r_A').shape == (50,)
    present = {DOMAIN_NAMES[label] for label in stored_domains.labels}
    assert {name.split('_')[1] for name in rdfs.get_arraynames() if name.startswith('g_')} == present
    with results['crystallinity_plot'].open(mode='rb') as handle:
        assert handle.read(8) == b'\x89PNG\r\n\x1a\n'


def test_md_runs_are_restart_workchains_and_their_failure_is_named(generate_workchain, generate_workflow_node,
                                                                    lps_code):
    """Both MD runs get the ``md`` namespace's options; a failed sintering LammpsMdBaseWorkChain (fake, 310) stops
    the work chain with 311 and its message."""
    builder = InterfaceWorkChain.get_builder_from_protocol(lps_code('lmp'), header_only_gap(), (0, 0, 1),
                                                           protocol='fast', options={'account': 'project123'})
    process = generate_workchain('lps.interface', builder._inputs(prune=True))
    structure = StructureData(ase=bulk('Li', 'fcc', a=4.6, cubic=True))
    inputs = process.md_inputs('sintering', structure, {'timestep_fs': 2.0, 'stages': []})
    options = inputs.lammps['metadata']['options']
    assert (options['account'], options['max_wallclock_seconds']) == ('project123', 3600)
    assert inputs.lammps['potential'].species == ['Li', 'P', 'S'] and inputs.lammps['structure'] is structure
    assert inputs.metadata == {'call_link_label': 'sintering'}

    failed = LammpsMdBaseWorkChain.exit_codes.ERROR_CALCULATION_FAILED.format(
        process='LammpsMdCalculation', pk=1, status=320, message='LAMMPS stopped with an error')
    process.ctx.sintering = generate_workflow_node('lps.lammps_md_base', failed)
    exit_code = process.inspect_sintering()
    assert exit_code.status == InterfaceWorkChain.exit_codes.ERROR_SINTERING_FAILED.status
    assert exit_code.message == (f'the sintering LammpsMdBaseWorkChain<{process.ctx.sintering.pk}> failed with exit '
                                 'status 310: LammpsMdCalculation<1> failed with exit status 320: LAMMPS stopped '
                                 'with an error')
