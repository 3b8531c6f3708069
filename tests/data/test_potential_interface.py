"""The one potential interface: every kind is a ``PotentialData``, every process takes the base, fitters come from
the ``lps.potential_fitters`` entry points, and no code outside a kind's own module tests concrete types."""
import pathlib
import re
from importlib.metadata import entry_points

import pytest
from aiida.engine.utils import is_process_function

from aiida_lps.calculations.fitters import FITTER_GROUP, potential_fitters
from aiida_lps.data.potentials import PotentialData

PACKAGE = pathlib.Path(__file__).parents[2] / 'aiida_lps'


def potential_classes() -> dict[str, type]:
    """The installed ``aiida.data`` classes of this package that are potentials, by entry-point name."""
    loaded = {entry.name: entry.load() for entry in entry_points(group='aiida.data') if entry.name.startswith('lps.')}
    return {name: cls for name, cls in loaded.items() if issubclass(cls, PotentialData)}


def test_every_kind_is_a_potential_data():
    assert {'lps.gap_potential', 'lps.snap_potential', 'lps.pod_potential'} <= set(potential_classes())
    for cls in potential_classes().values():
        for method in ('lammps_files', 'pair_commands'):  # each kind says its own LAMMPS commands and files
            assert getattr(cls, method) is not getattr(PotentialData, method), (cls, method)


def test_fitters_are_entry_points_returning_potentials():
    fitters = potential_fitters()
    assert {'gap', 'snap', 'pod'} <= set(fitters)
    assert {entry.name for entry in entry_points(group=FITTER_GROUP)} == set(fitters)
    for kind, fitter in fitters.items():
        assert issubclass(fitter.data_type, PotentialData)
        with pytest.raises(ValueError, match='unknown'):
            fitter.merge_hyperparameters({'no_such_setting': 1})
    assert [kind for kind, fitter in fitters.items() if fitter.weighs_by_source] == ['snap']
    assert {kind: fitter.runs_on for kind, fitter in fitters.items() if fitter.runs_on} == {'gap': 'gap_fit',
                                                                                           'pod': 'lmp'}


def test_fitter_inputs_go_to_the_process_ports():
    """A fitter puts the training set, parameters, references and code where its process takes them."""
    for kind, fitter in potential_fitters().items():
        inputs = fitter.inputs('set', 'parameters', code='code' if fitter.runs_on else None)
        process = fitter.process.process_class if is_process_function(fitter.process) else fitter.process
        ports = process.spec().inputs
        if fitter.namespace:
            inputs, ports = inputs[fitter.namespace], ports[fitter.namespace]
        assert set(inputs) <= set(ports), kind
    assert potential_fitters()['gap'].inputs('set', reference_energies='e0') == {
        'gap_fit': {'training_set': 'set', 'reference_energies': 'e0'}}


def test_no_type_dispatch_on_potentials_outside_their_modules():
    """``isinstance`` on a potential class only in ``aiida_lps/data`` (each kind's own module and the base)."""
    names = {cls.__name__ for cls in potential_classes().values()} | {'PotentialData', 'LammpsFilesPotentialData'}
    pattern = re.compile(r'isinstance\([^)]*\b(' + '|'.join(sorted(names)) + r')\b')
    found = []
    for path in PACKAGE.rglob('*.py'):
        if path.parent.name == 'data':
            continue
        text = path.read_text()
        found += [f'{path.relative_to(PACKAGE)}: {match.group(0)}' for match in pattern.finditer(text)]
        found += [f'{path.relative_to(PACKAGE)}: {name}' for name in ('LINEAR_POTENTIALS', 'pair_setup')
                  if name in text]
    assert not found


@pytest.mark.parametrize('process, port', [
    ('aiida_lps.calculations.lammps_md:LammpsMdCalculation', 'potential'),
    ('aiida_lps.workflows.conductivity:ArrheniusWorkChain', 'potential'),
    ('aiida_lps.workflows.md_validation:MdValidationWorkChain', 'potential'),
    ('aiida_lps.workflows.glass:GlassSamplingWorkChain', 'potential'),
    ('aiida_lps.workflows.composition:CompositionSweepWorkChain', 'potential'),
    ('aiida_lps.workflows.interface:InterfaceWorkChain', 'potential'),
    ('aiida_lps.workflows.training:IterativeTrainingWorkChain', 'potential'),
    ('aiida_lps.workflows.distillation:PotentialDistillationWorkChain', 'teacher'),
    ('aiida_lps.calculations.functions.relax_with_potential:relax_with_potential', 'potential'),
    ('aiida_lps.calculations.functions.sample_glass_with_potential:sample_glass_with_potential', 'potential'),
    ('aiida_lps.calculations.functions.genetic_removal_search:genetic_removal_search', 'potential'),
    ('aiida_lps.calculations.functions.select_candidates:select_candidates', 'potential'),
    ('aiida_lps.calculations.functions.evaluate_potential:evaluate_potential', 'potential'),
    ('aiida_lps.calculations.functions.predict_with_potential:predict_with_potential', 'potential'),
    ('aiida_lps.calculations.functions.label_with_potential:label_with_potential', 'potential'),
    ('aiida_lps.calculations.functions.build_interface_structure:build_interface_structure', 'potential'),
])
def test_processes_take_the_base(process, port):
    module, name = process.split(':')
    process_class = getattr(__import__(module, fromlist=[name]), name)
    valid_type = process_class.spec().inputs[port].valid_type
    assert PotentialData in (valid_type if isinstance(valid_type, tuple) else (valid_type,))
