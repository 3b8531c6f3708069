"""Parsers on canned outputs (tests/parsers/fixtures/<entry point>/<case>/): failures map to named exit codes."""
import pathlib

import numpy as np
import pytest
from aiida import orm
from aiida.common import LinkType
from aiida.plugins import CalculationFactory, ParserFactory

from aiida_lps.parsers.raw.gap_fit import parse_gap_fit_output
from aiida_lps.parsers.raw.lammps import find_error, parse_thermo, read_dump

FIXTURES = pathlib.Path(__file__).parent / 'fixtures'


def _parse_canned(entry_point: str, case: str):
    """Run the parser of ``entry_point`` on a CalcJobNode whose retrieved folder holds the canned files."""
    node = orm.CalcJobNode(process_type=f'aiida.calculations:{entry_point}')
    node.set_option('resources', {'num_machines': 1})
    node.store()
    retrieved = orm.FolderData()
    retrieved.base.repository.put_object_from_tree(str(FIXTURES / entry_point / case))
    retrieved.base.links.add_incoming(node, link_type=LinkType.CREATE, link_label='retrieved')
    retrieved.store()
    _, calcfunction = ParserFactory(entry_point).parse_from_node(node, store_provenance=False)
    return calcfunction.exit_status, calcfunction.exit_message


@pytest.mark.parametrize(('case', 'name'), [('out_of_memory', 'ERROR_OUT_OF_MEMORY'),
                                            ('virial_sigma', 'ERROR_GAP_FIT_ABORTED')])
def test_gap_fit_failures(aiida_profile, case, name):
    status, message = _parse_canned('lps.gap_fit', case)
    assert status == CalculationFactory('lps.gap_fit').exit_codes[name].status
    if case == 'virial_sigma':
        assert message == 'gap_fit aborted: Traceback (most recent call last)'


@pytest.mark.parametrize(('case', 'name'), [('lost_atoms', 'ERROR_LOST_ATOMS'), ('incomplete', 'ERROR_INCOMPLETE_RUN')])
def test_lammps_failures(aiida_profile, case, name):
    status, message = _parse_canned('lps.lammps_md', case)
    assert status == CalculationFactory('lps.lammps_md').exit_codes[name].status
    if case == 'lost_atoms':
        assert 'Lost atoms: original 8 current 7' in message


@pytest.mark.parametrize(('case', 'name', 'message'), [
    ('angular_degree', 'ERROR_LAMMPS_RUN', 'three-body angular degree must be equal or less than 12'),
    ('no_coefficients', 'ERROR_COEFFICIENTS_MISSING', 'Begin of Least-Squares Fitting'),
])
def test_pod_fit_failures(aiida_profile, case, name, message):
    status, exit_message = _parse_canned('lps.pod_fit', case)
    assert status == CalculationFactory('lps.pod_fit').exit_codes[name].status
    assert message in exit_message


def test_raw_gap_fit_output_finds_the_abort_line():
    text = (FIXTURES / 'lps.gap_fit' / 'virial_sigma' / 'gap_fit.out').read_text()
    assert parse_gap_fit_output(text) == {
        'abort_message': 'Traceback (most recent call last)', 'out_of_memory': False, 'finished': False,
    }


def test_raw_thermo_spans_runs_and_skips_warnings():
    log = '\n'.join([
        '   Step          Temp          PotEng',
        '         0   300   -7.25', 'WARNING: something odd (src/x.cpp:1)', '        10   310   -7.20',
        'Loop time of 0.1 on 1 procs for 10 steps with 8 atoms',
        '   Step          Temp          PotEng', '        10   310   -7.20', '        20   305   -7.21',
        'Loop time of 0.1 on 1 procs for 10 steps with 8 atoms',
    ])
    thermo = parse_thermo(log)
    np.testing.assert_array_equal(thermo['Step'], [0, 10, 10, 20])
    np.testing.assert_array_equal(thermo['stage'], [0, 0, 1, 1])
    assert find_error('ERROR on proc 0: Lost atoms: original 8 current 7 (src/thermo.cpp:494)') == \
        'Lost atoms: original 8 current 7'


def test_raw_dump_of_a_triclinic_box_gives_cell_and_sorted_atoms():
    dump = '\n'.join([
        'ITEM: TIMESTEP', '0', 'ITEM: NUMBER OF ATOMS', '2', 'ITEM: BOX BOUNDS xy xz yz pp pp pp',
        '0.0 11.0 1.0', '0.0 5.0 0.0', '0.0 6.0 0.0', 'ITEM: ATOMS id type xu yu zu',
        '2 3 1.0 2.0 3.0', '1 1 0.5 0.5 0.5',
        'ITEM: TIMESTEP', '0', 'ITEM: NUMBER OF ATOMS', '2', 'ITEM: BOX BOUNDS xy xz yz pp pp pp',
        '0.0 11.0 1.0', '0.0 5.0 0.0', '0.0 6.0 0.0', 'ITEM: ATOMS id type xu yu zu',
        '2 3 1.0 2.0 3.0', '1 1 0.5 0.5 0.5',
    ])
    frames = read_dump(dump)
    assert frames['steps'].tolist() == [0]  # the repeated timestep of a new run is dropped
    np.testing.assert_allclose(frames['cells'][0], [[10.0, 0, 0], [1.0, 5.0, 0], [0, 0, 6.0]])
    assert frames['types'].tolist() == [1, 3]
    np.testing.assert_allclose(frames['positions'][0, 1], [1.0, 2.0, 3.0])
