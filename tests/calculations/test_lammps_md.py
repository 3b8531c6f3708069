"""LammpsMdCalculation with the real lmp and the project's pair_style quip plugin."""
import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase.build import bulk

from aiida_lps.calculations.lammps_md import LammpsMdCalculation
from aiida_lps.data.gap_potential import GapPotentialData


def _structure(symbols=('Li',) * 4 + ('P',) + ('S',) * 3):
    atoms = bulk('Li', 'fcc', a=4.6, cubic=True).repeat((2, 1, 1))
    atoms.set_chemical_symbols(list(symbols))
    return orm.StructureData(ase=atoms)


def _builder(code, potential, parameters, structure=None):
    builder = LammpsMdCalculation.get_builder()
    builder.code = code
    builder.structure = structure or _structure()
    builder.potential = potential
    builder.parameters = orm.Dict(parameters)
    return builder


NVT_NVE = {
    'timestep_fs': 1.0, 'initial_temperature_K': 300, 'seed': 7, 'thermo_every': 5, 'dump_every': 5,
    'stages': [{'ensemble': 'nvt', 'steps': 20, 'temperature_K': 300, 'dump': False},
               {'ensemble': 'nve', 'steps': 40}],
}


@pytest.mark.requires_codes
def test_md_outputs_match_the_raw_files(aiida_profile, lps_code, tiny_gap_xml):
    potential = GapPotentialData(tiny_gap_xml)
    results, node = run_get_node(_builder(lps_code('lmp'), potential, NVT_NVE))
    assert node.is_finished_ok, node.exit_message
    thermo = results['thermo']
    assert set(np.unique(thermo.get_array('stage'))) == {0, 1}
    nve = thermo.get_array('stage') == 1
    energy = thermo.get_array('TotEng')[nve]
    assert np.ptp(energy) < 0.05  # NVE conserves the total energy (eV) over 40 fs
    trajectory = results['trajectory']
    assert trajectory.numsteps == 9  # steps 20, 25, ..., 60 of the NVE stage
    np.testing.assert_allclose(trajectory.get_array('times'), np.arange(20, 61, 5) / 1000.0)
    assert list(trajectory.symbols) == ['Li'] * 4 + ['P'] + ['S'] * 3
    # the first dumped frame is the structure after the NVT stage: its thermo energy is reproduced by quippy
    atoms = trajectory.get_step_structure(0).get_ase()
    atoms.calc = potential.get_calculator()
    first_nve_pe = thermo.get_array('PotEng')[nve][0]
    assert atoms.get_potential_energy() == pytest.approx(first_nve_pe, abs=1e-4)
    msd = results['msd']
    assert msd.get_array('msd_Li').shape == (9, 3)
    np.testing.assert_allclose(msd.get_array('msd_Li')[0], 0.0, atol=1e-12)


@pytest.mark.requires_codes
def test_nve_starts_at_the_mean_energy_of_the_nvt_stage(aiida_profile, lps_code, tiny_gap_xml):
    """With end_at_mean_energy the NVE total energy is the NVT mean over its second half, not its last value."""
    parameters = {
        'timestep_fs': 1.0, 'initial_temperature_K': 600, 'seed': 5, 'thermo_every': 1, 'dump_every': 5,
        'stages': [{'ensemble': 'nvt', 'steps': 40, 'temperature_K': 600, 'damping_fs': 20.0, 'dump': False,
                    'end_at_mean_energy': True},
                   {'ensemble': 'nve', 'steps': 10}],
    }
    results, node = run_get_node(_builder(lps_code('lmp'), GapPotentialData(tiny_gap_xml), parameters))
    assert node.is_finished_ok, node.exit_message
    thermo = results['thermo']
    stage, step, energy = (thermo.get_array(name) for name in ('stage', 'Step', 'TotEng'))
    nvt_mean = energy[(stage == 0) & (step >= 20)].mean()
    assert abs(energy[stage == 0][-1] - nvt_mean) > 1e-3  # the last NVT energy is not the mean ...
    assert energy[stage == 1][0] == pytest.approx(nvt_mean, abs=1e-6)  # ... but the NVE run starts at it


@pytest.mark.requires_codes
def test_lost_atoms_give_a_named_exit_code(aiida_profile, lps_code, tiny_gap_xml):
    blow_up = {'timestep_fs': 20.0, 'initial_temperature_K': 1.0e7, 'seed': 3, 'thermo_every': 1,
               'stages': [{'ensemble': 'nve', 'steps': 20}]}
    _, node = run_get_node(_builder(lps_code('lmp'), GapPotentialData(tiny_gap_xml), blow_up))
    assert node.exit_status == LammpsMdCalculation.exit_codes.ERROR_LOST_ATOMS.status, node.exit_message
    assert 'trajectory' not in node.outputs


def test_species_outside_the_potential_are_refused(aiida_profile, lps_code, tiny_gap_xml):
    structure = _structure(('Li',) * 4 + ('P',) + ('S',) * 2 + ('Na',))
    builder = _builder(lps_code('lmp'), GapPotentialData(tiny_gap_xml), NVT_NVE, structure)
    with pytest.raises(ValueError, match=r"the structure contains \['Na'\], which the GAP potential"):
        run_get_node(builder)


def test_bad_md_parameters_are_refused(aiida_profile, lps_code, tiny_gap_xml):
    builder = _builder(lps_code('lmp'), GapPotentialData(tiny_gap_xml), {'stages': [{'ensemble': 'npt', 'steps': 5}]})
    with pytest.raises(ValueError, match='ensemble must be "nvt" or "nve"'):
        run_get_node(builder)
    builder.parameters = orm.Dict({'stages': [{'ensemble': 'nve', 'steps': 5, 'end_at_mean_energy': True}]})
    with pytest.raises(ValueError, match='end_at_mean_energy needs an nvt stage'):
        run_get_node(builder)
    builder.parameters = orm.Dict({'stages': [{'ensemble': 'nve', 'steps': 5, 'dump': False}]})
    with pytest.raises(ValueError, match='no stage dumps frames'):
        run_get_node(builder)
    builder.parameters = orm.Dict({**NVT_NVE, 'restart_step': 30})
    with pytest.raises(ValueError, match='give restart_file and parameters.restart_step'):
        run_get_node(builder)
