"""DftLabellingWorkChain with the real pw.x: labels come back in eV and eV/Angstrom, failures are excluded."""
import re

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase import units
from ase.build import bulk

from aiida_lps.workflows.labelling import DftLabellingWorkChain

FIXED_OCCUPATIONS = {'pw_base': {'pw': {'parameters': {'SYSTEM': {'occupations': 'fixed'}}}}}


def _li2s(rattle_seed=None):
    atoms = bulk('SLi2', 'fluorite', a=5.71)  # antifluorite Li2S
    if rattle_seed is not None:
        atoms.rattle(0.05, seed=rattle_seed)
    return atoms


@pytest.mark.requires_codes
def test_failed_label_is_excluded_and_the_rest_returned(aiida_profile, lps_code, pseudo_family):
    li2s = orm.StructureData(ase=_li2s(rattle_seed=3))
    odd = _li2s()
    del odd[2]  # LiS: an odd electron count, which pw.x refuses with fixed occupations
    structures = {'li2s': li2s, 'lis_odd': orm.StructureData(ase=odd)}
    builder = DftLabellingWorkChain.get_builder_from_protocol(
        lps_code('pw'), structures, protocol='fast', overrides=FIXED_OCCUPATIONS
    )
    builder.tags = orm.Dict({'generation': 0})
    results, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    training_set = results['training_set']
    assert training_set.num_structures == 1
    assert training_set.get_tags() == [{'generation': 0, 'label': 'li2s', 'source': 'dft'}]
    summary = results['summary'].get_dict()
    assert summary['n_labelled'] == 1 and summary['n_failed'] == 1 and 'lis_odd' in summary['failed']

    pw = node.base.links.get_outgoing(link_label_filter='pw_li2s').one().node
    frame = training_set.to_atoms()[0]
    assert frame.get_potential_energy() == pytest.approx(pw.outputs.output_parameters['energy'])
    np.testing.assert_allclose(frame.get_forces(), pw.outputs.output_trajectory.get_array('forces')[-1])
    # rattled: forces are non-zero and sum to ~0 (momentum conservation in a periodic SCF)
    assert np.abs(frame.get_forces()).max() > 0.01
    np.testing.assert_allclose(frame.get_forces().sum(axis=0), 0, atol=1e-3)
    # the same stress in ASE's units and sign: QE's pressure (GPa, positive under compression) = -trace/3
    stdout = pw.called[-1].outputs.retrieved.base.repository.get_object_content('aiida.out')
    pressure_gpa = 0.1 * float(re.search(r'P=\s*(-?[\d.]+)', stdout).group(1))  # pw.x prints kbar
    assert -frame.get_stress()[:3].mean() / units.GPa == pytest.approx(pressure_gpa, rel=1e-3, abs=1e-3)


def test_atoms_too_close_are_refused_before_dft(aiida_profile, lps_code, pseudo_family):
    atoms = _li2s()
    atoms.positions[1] = atoms.positions[0] + [0.3, 0.0, 0.0]
    structures = {'bad': orm.StructureData(ase=atoms)}
    builder = DftLabellingWorkChain.get_builder_from_protocol(lps_code('pw'), structures, protocol='fast')
    with pytest.raises(ValueError, match=r'structure `bad` has sites 0 and 1 only 0.300 Angstrom apart'):
        run_get_node(builder)


def test_a_pw_failure_without_handler_is_run_once_more_then_ends_named(
        lps_code, pseudo_family, generate_workchain, generate_restart_workchain, generate_calc_job_node):
    """The PwBaseWorkChain of a label restarts a PwCalculation that failed with no handler for its exit code (305:
    output cut short, as after scancel; tests/cluster runs that for real) once, then ends with 402."""
    from aiida_quantumespresso.calculations.pw import PwCalculation
    from aiida_quantumespresso.workflows.pw.base import PwBaseWorkChain

    structure = orm.StructureData(ase=_li2s())
    builder = DftLabellingWorkChain.get_builder_from_protocol(lps_code('pw'), {'li2s': structure}, protocol='fast')
    labelling = generate_workchain('lps.labelling.dft', builder._inputs(prune=True))
    inputs = labelling.exposed_inputs(PwBaseWorkChain, namespace='pw_base')
    assert inputs['on_unhandled_failure'].value == 'restart_once'
    inputs['pw'] = {**inputs['pw'], 'structure': structure,
                    'pseudos': orm.load_group(pseudo_family).get_pseudos(structure=structure)}
    cut_short = PwCalculation.exit_codes.ERROR_OUTPUT_FILES
    process = generate_restart_workchain('quantumespresso.pw.base', inputs, exit_code=cut_short)
    assert process.inspect_process() is None  # run again, unchanged
    process.ctx.children.append(generate_calc_job_node('quantumespresso.pw', exit_code=cut_short))
    process.ctx.iteration = 2
    assert process.inspect_process() == PwBaseWorkChain.exit_codes.ERROR_UNHANDLED_FAILURE
