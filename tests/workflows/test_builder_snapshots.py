"""Builder snapshots: ``get_builder_from_protocol`` of every work chain with a protocol, for each of its protocols,
as node values (no PKs or UUIDs) in ``test_builder_snapshots/<work chain>_<protocol>.yml``.

A protocol change shows up as a diff of these files: review it, then accept it with
``pytest tests/workflows/test_builder_snapshots.py --force-regen``. No code runs.
"""
from collections.abc import Mapping

import numpy as np
import pytest
from aiida import orm
from aiida.plugins import WorkflowFactory
from ase.build import bulk
from conftest import morse_frames
from fake_potentials import header_only_gap, zero_snap
from li2s_cells import li2s

from aiida_lps.data.potentials import PotentialData
from aiida_lps.data.training_set import TrainingSetData


def node_value(node: orm.Data):
    """The value of ``node`` in a snapshot: what it holds, never its PK or UUID."""
    if isinstance(node, orm.BaseType):
        return node.value
    if isinstance(node, orm.Dict):
        return node.get_dict()
    if isinstance(node, orm.List):
        return node.get_list()
    if isinstance(node, orm.StructureData):
        return f'StructureData {node.get_formula()}'
    if isinstance(node, orm.AbstractCode):
        return f'{type(node).__name__} {node.label}'
    if isinstance(node, PotentialData):
        return f'{type(node).__name__} {" ".join(node.species)}'
    if isinstance(node, TrainingSetData):
        return f'TrainingSetData of {node.num_structures} configurations'
    return type(node).__name__


def snapshot(value):
    """``value`` (a builder, its namespaces, nodes, plain data) as plain, sorted, YAML-safe data."""
    if isinstance(value, Mapping):
        return {str(key): snapshot(value[key]) for key in sorted(value)}
    if isinstance(value, orm.Data):
        return snapshot(node_value(value))
    if isinstance(value, (list, tuple)):
        return [snapshot(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def li4ps3() -> orm.StructureData:
    atoms = bulk('Li', 'fcc', a=4.6, cubic=True).repeat((2, 1, 1))
    atoms.set_chemical_symbols(['Li'] * 4 + ['P'] + ['S'] * 3)
    return orm.StructureData(ase=atoms)


#: Entry point -> (the protocols to snapshot, a function of the codes giving the builder of one protocol).
BUILDERS = {
    'lps.labelling.dft': (('fast', 'workstation', 'precise'), lambda codes, protocol: (
        WorkflowFactory('lps.labelling.dft').get_builder_from_protocol(
            codes['pw'], {'li2s': li2s()}, protocol=protocol))),
    'lps.labelling.isolated_atoms': (('fast', 'workstation', 'precise'), lambda codes, protocol: (
        WorkflowFactory('lps.labelling.isolated_atoms').get_builder_from_protocol(codes['pw'], protocol=protocol))),
    'lps.pw_md': (('fast', 'workstation'), lambda codes, protocol: (
        WorkflowFactory('lps.pw_md').get_builder_from_protocol(codes['pw'], li2s(), 800.0, protocol=protocol))),
    'lps.training.iterative': (('fast', 'workstation', 'precise'), lambda codes, protocol: (
        WorkflowFactory('lps.training.iterative').get_builder_from_protocol(
            codes['pw'], codes['gap_fit'], {'li2s': li2s()}, lammps_code=codes['lmp'], protocol=protocol))),
    'lps.study': (('fast', 'precise'), lambda codes, protocol: (
        WorkflowFactory('lps.study').get_builder_from_protocol(codes['pw'], codes['gap_fit'], codes['lmp'],
                                                               protocol=protocol))),
    'lps.conductivity.arrhenius': (('fast', 'precise'), lambda codes, protocol: (
        WorkflowFactory('lps.conductivity.arrhenius').get_builder_from_protocol(
            codes['lmp'], li4ps3(), zero_snap(), [600.0, 800.0, 1000.0], protocol=protocol))),
    'lps.conductivity.arrhenius.pw': (('fast', 'precise'), lambda codes, protocol: (
        WorkflowFactory('lps.conductivity.arrhenius').get_builder_from_protocol(
            codes['pw'], li2s(), None, [600.0, 800.0, 1000.0], protocol=protocol, engine='pw'))),
    'lps.md_validation': (('fast', 'precise'), lambda codes, protocol: (
        WorkflowFactory('lps.md_validation').get_builder_from_protocol(
            codes['lmp'], codes['pw'], li4ps3(), zero_snap(), 800.0, protocol=protocol))),
    'lps.interface': (('fast', 'precise'), lambda codes, protocol: (
        WorkflowFactory('lps.interface').get_builder_from_protocol(codes['lmp'], header_only_gap(), (0, 1, 0),
                                                                   protocol=protocol))),
    'lps.glass.sample': (('fast', 'precise'), lambda codes, protocol: (
        WorkflowFactory('lps.glass.sample').get_builder_from_protocol(header_only_gap(), 'Li3PS4',
                                                                      protocol=protocol))),
    'lps.ga.sweep': (('fast', 'precise'), lambda codes, protocol: (
        WorkflowFactory('lps.ga.sweep').get_builder_from_protocol(codes['pw'], li4ps3(), header_only_gap(), 2,
                                                                  protocol=protocol))),
    'lps.training.distillation': (('fast', 'workstation'), lambda codes, protocol: (
        WorkflowFactory('lps.training.distillation').get_builder_from_protocol(
            codes['lmp'], header_only_gap(), TrainingSetData.from_atoms(morse_frames(3)), {'li4ps3': li4ps3()},
            protocol=protocol))),
}
CASES = [(name, protocol) for name, (protocols, _) in BUILDERS.items() for protocol in protocols]


@pytest.mark.parametrize(('name', 'protocol'), CASES, ids=[f'{name}-{protocol}' for name, protocol in CASES])
def test_builder_from_protocol(name, protocol, lps_code, pseudo_family, data_regression):
    codes = {code: lps_code(code) for code in ('pw', 'gap_fit', 'lmp')}
    builder = BUILDERS[name][1](codes, protocol)
    data_regression.check(snapshot(builder._inputs(prune=True)), basename=f'{name.replace(".", "_")}_{protocol}')


def test_every_protocol_has_a_snapshot():
    """A work chain with a protocol file, or a protocol added to one, needs its snapshot here."""
    from aiida.plugins.entry_point import get_entry_point_names

    for entry_point in get_entry_point_names('aiida.workflows'):
        process_class = WorkflowFactory(entry_point)
        if not hasattr(process_class, 'get_available_protocols') or not entry_point.startswith('lps.'):
            continue
        assert entry_point in BUILDERS, f'{entry_point} has protocols but no builder snapshot'
        assert set(process_class.get_available_protocols()) <= set(BUILDERS[entry_point][0]), entry_point
