"""PotentialDistillationWorkChain: a real run (GAP MD in LAMMPS, GAP labels, real fitpod, POD MD as the check) on
8-atom Morse-labelled Li4PS3 cells, and its pure parts: input refusals, the teacher's sigma factor, lost atoms."""
import numpy as np
import pytest
from aiida import orm
from aiida.common.links import LinkType
from aiida.engine import run_get_node
from ase.build import bulk
from conftest import morse_frames
from fake_potentials import zero_snap
from plumpy import ProcessState

from aiida_lps.calculations.lammps_md import LammpsMdCalculation
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.data.pod_potential import PodPotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.evaluate import metrics_against_labels
from aiida_lps.workflows.distillation import (
    PotentialDistillationWorkChain,
    md_failure,
    validate_inputs,
)
from aiida_lps.workflows.lammps_md_base import LammpsMdBaseWorkChain

ENTRY_POINT = 'lps.training.distillation'


def li4ps3() -> orm.StructureData:
    """The 8-atom Li4PS3 cell of the Morse-labelled frames, unrattled."""
    atoms = bulk('Li', 'fcc', a=4.6, cubic=True).repeat((2, 1, 1))
    atoms.set_chemical_symbols(['Li'] * 4 + ['P'] + ['S'] * 3)
    return orm.StructureData(ase=atoms)


@pytest.fixture
def builder(aiida_profile, lps_code, tiny_gap_xml):
    """Factory: a ``fast``-protocol builder: the tiny GAP teaches, its own 12 Morse frames are the "DFT" labels,
    4 other Morse frames the validation set."""
    def factory(overrides=None):
        return PotentialDistillationWorkChain.get_builder_from_protocol(
            lps_code('lmp'), GapPotentialData(tiny_gap_xml).store(),
            TrainingSetData.from_atoms(morse_frames(12, seed=1)).store(), {'li4ps3': li4ps3()},
            validation_set=TrainingSetData.from_atoms(morse_frames(4, seed=5)).store(), protocol='fast',
            overrides=overrides)

    return factory


def inputs_of(builder) -> dict:
    return builder._inputs(prune=True)


@pytest.mark.parametrize(('overrides', 'message'), [
    ({'fast_kind': 'ace'}, "fast_kind must be one of ['nn', 'pod', 'snap']"),
    ({'fast_parameters': {'rcut': 0.5}}, 'fast_parameters: POD needs 0 <= rin < rcut'),
    ({'teacher_sigma_factor': 3.0}, "teacher_sigma_factor needs a fast_kind whose fit weighs labels by source"),
    ({'fast_kind': 'snap', 'teacher_sigma_factor': -1.0}, 'teacher_sigma_factor must be positive'),
    ({'frames_per_round': 0}, 'rounds and frames_per_round must be at least 1'),
    ({'selection_method': 'best'}, 'selection_method must be one of'),
    ({'temperatures_K': []}, 'md.temperatures_K must be a non-empty list of positive temperatures'),
])
def test_bad_inputs_are_refused_naming_the_problem(builder, overrides, message):
    assert message in validate_inputs(inputs_of(builder(overrides)), None)


def test_uncertainty_selection_needs_a_teacher_with_a_predictive_variance(builder):
    inputs = inputs_of(builder({'selection_method': 'uncertainty'}))
    assert validate_inputs(inputs, None) is None  # a GAP
    inputs['teacher'] = zero_snap()
    assert 'needs a teacher with a predictive variance' in validate_inputs(inputs, None)


def test_the_protocols_build_valid_inputs(builder):
    assert validate_inputs(inputs_of(builder()), None) is None
    workstation = PotentialDistillationWorkChain.get_protocol_inputs('workstation')
    assert workstation['temperatures_K'] == [300.0, 600.0, 900.0] and workstation['fast_kind'] == 'pod'


def test_teacher_sigma_factor_reaches_the_snap_fit_for_teacher_labels_only(builder, generate_workchain):
    inputs = inputs_of(builder({'fast_kind': 'snap', 'teacher_sigma_factor': 3.0, 'fast_parameters': {'twojmax': 2}}))
    process = generate_workchain(ENTRY_POINT, inputs)
    process.setup()
    assert process.ctx.fit_parameters.get_dict() == {'twojmax': 2, 'sigma_factors_by_source': {'gap': 3.0}}


def test_species_the_teacher_does_not_cover_end_with_210(builder, generate_workchain):
    inputs = inputs_of(builder())
    atoms = li4ps3().get_ase()
    atoms[0].symbol = 'Na'
    inputs['structures'] = {'nali3ps3': orm.StructureData(ase=atoms)}
    process = generate_workchain(ENTRY_POINT, inputs)
    exit_code = process.setup()
    assert exit_code.status == 210
    assert "the teacher covers ['Li', 'P', 'S'] but the structures to explore also have ['Na']" in exit_code.message


def fake_md(aiida_localhost, status: int, calculation_status: int) -> orm.WorkChainNode:
    """A finished LammpsMdBaseWorkChain node with ``status`` whose one LammpsMdCalculation ended with
    ``calculation_status`` (no code runs)."""
    workchain = orm.WorkChainNode(process_type=LammpsMdBaseWorkChain.build_process_type())
    workchain.set_process_state(ProcessState.FINISHED)
    workchain.set_exit_status(status)
    workchain.set_exit_message(f'LammpsMdCalculation failed with exit status {calculation_status}')
    workchain.store()
    calculation = orm.CalcJobNode(computer=aiida_localhost, process_type=LammpsMdCalculation.build_process_type())
    calculation.set_process_state(ProcessState.FINISHED)
    calculation.set_exit_status(calculation_status)
    calculation.base.links.add_incoming(workchain, LinkType.CALL_CALC, 'iteration_01')
    calculation.store()
    return workchain


def test_md_failure_tells_lost_atoms_from_other_failures(aiida_profile, aiida_localhost):
    assert md_failure(fake_md(aiida_localhost, 0, 0)) is None
    assert md_failure(fake_md(aiida_localhost, 310, 410)) == 'lost atoms'
    assert md_failure(fake_md(aiida_localhost, 310, 320)) == 'exit 310: LammpsMdCalculation failed with exit status 320'


@pytest.mark.requires_codes
def test_distillation_labels_gap_md_fits_a_pod_and_checks_it_in_md(builder, aiida_localhost):
    aiida_localhost.set_minimum_job_poll_interval(0)
    inputs = builder()
    results, node = run_get_node(inputs)
    assert node.exit_status == 0, node.exit_message
    teacher = inputs.teacher

    # 12 "DFT" labels then 4 GAP labels of GAP MD frames, tagged as such, equal to the GAP's own predictions
    training = results['training_set']
    tags = training.get_tags()
    assert training.num_structures == 16
    assert all(tag['source'] == 'morse' for tag in tags[:12])
    assert all(tag['source'] == 'gap' and tag['label_potential_uuid'] == teacher.uuid for tag in tags[12:])
    frame = training.to_atoms()[-1]
    copy = frame.copy()
    copy.calc = teacher.get_calculator()
    assert copy.get_potential_energy() == pytest.approx(frame.get_potential_energy(), abs=1e-6)
    np.testing.assert_allclose(copy.get_forces(), frame.get_forces(), atol=1e-6)

    # two different PODs; the table's validation RMSEs are those of the output potentials
    distilled, dft_only = results['potential'], results['dft_only_potential']
    assert isinstance(distilled, PodPotentialData) and isinstance(dft_only, PodPotentialData)
    assert distilled.uuid != dft_only.uuid
    assert {potential.creator.process_type for potential in (distilled, dft_only)} == {'aiida.calculations:lps.pod_fit'}
    table = results['rmse_table'].get_dict()
    validation = inputs.validation_set.to_atoms()
    for key, potential in (('distilled', distilled), ('dft_only', dft_only)):
        expected = metrics_against_labels(validation, potential.get_calculator())['force_rmse_eV_per_A']
        assert table[key]['validation']['force_rmse_eV_per_A'] == pytest.approx(expected, rel=1e-6)
    assert table['teacher']['validation']['n_structures'] == 4

    # round 0 ran MD with the GAP, the check (round 1) with the distilled POD
    drivers = {link.link_label: link.node.inputs.lammps.potential.uuid
               for link in node.base.links.get_outgoing(link_type=LinkType.CALL_WORK).all()}
    assert drivers == {'md_round_0_li4ps3_T600K': teacher.uuid, 'md_round_1_li4ps3_T600K': distilled.uuid}
    assert [row['md'] for row in table['rounds']] == [{'li4ps3_T600K': 'ok'}] * 2
    report = '\n'.join(log.message for log in orm.Log.collection.get_logs_for(node))
    assert 'round 0: 4 frames labelled by the teacher' in report
    assert 'validation RMSE: teacher' in report
