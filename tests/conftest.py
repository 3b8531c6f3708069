"""Shared fixtures: AiiDA's pytest fixtures, the project's codes on the test profile, and small labelled sets."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from li2s_cells import FIXED_OCCUPATIONS, li2s

pytest_plugins = ['aiida.tools.pytest_fixtures', 'daemon_services']  # daemon_services: the daemon_profile fixture


def pytest_collection_modifyitems(config, items):
    """Skip ``requires_codes`` tests with a clear reason when pw.x, gap_fit or lmp are missing."""
    from aiida_lps.setup.profile import code_specs

    missing = [name for name, spec in code_specs().items() if not os.path.exists(spec['filepath_executable'])]
    if not missing:
        return
    skip = pytest.mark.skip(reason=f'codes missing ({", ".join(missing)}): run `aiida-lps setup`')
    for item in items:
        if 'requires_codes' in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def lps_code(aiida_localhost):
    """Factory: the project's code ``name`` (``pw``, ``gap_fit`` or ``lmp``) on the test profile's localhost."""
    from aiida.common.exceptions import NotExistent
    from aiida.orm import InstalledCode, load_code

    from aiida_lps.setup.profile import code_specs

    def factory(name: str):
        try:
            return load_code(f'{name}@{aiida_localhost.label}')
        except NotExistent:
            return InstalledCode(computer=aiida_localhost, label=name, **code_specs()[name]).store()

    return factory


@pytest.fixture
def pseudo_family(aiida_profile):
    """The ld1.x-generated Li/P/S pseudopotential family in the test profile (generated once, under a second)."""
    from aiida_lps.setup.quantum_espresso import PSEUDO_FAMILY_LABEL, ensure_pseudo_family

    if shutil.which('ld1.x') is None:
        pytest.skip('ld1.x missing: run `aiida-lps setup`')
    ensure_pseudo_family()
    return PSEUDO_FAMILY_LABEL


def morse_frames(count: int = 12, seed: int = 1) -> list:
    """Rattled, strained 8-atom Li4PS3 cells labelled by ASE's Morse calculator.

    A reference model with a known answer for testing fitting and plumbing, not a stand-in for DFT.
    """
    from ase.build import bulk
    from ase.calculators.morse import MorsePotential

    rng = np.random.default_rng(seed)
    frames = []
    for index in range(count):
        atoms = bulk('Li', 'fcc', a=4.6, cubic=True).repeat((2, 1, 1))
        atoms.set_chemical_symbols(['Li'] * 4 + ['P'] + ['S'] * 3)
        atoms.set_cell(atoms.cell * (1 + 0.03 * rng.standard_normal()), scale_atoms=True)
        atoms.rattle(0.15, seed=int(rng.integers(1 << 30)))
        atoms.calc = MorsePotential(epsilon=0.3, r0=2.6, rho0=5.0)
        atoms.get_potential_energy()
        atoms.info['source'] = 'morse'
        atoms.info['index'] = index
        frames.append(atoms)
    return frames


@pytest.fixture
def morse_labelled_frames():
    """Factory fixture of ``morse_frames``."""
    return morse_frames


@pytest.fixture(scope='session')
def tiny_gap_xml(tmp_path_factory):
    """A GAP xml (``fast`` preset, seed 1) fitted once per session with the real gap_fit to ``morse_frames``."""
    import subprocess

    import ase.io

    from aiida_lps.potentials.gap import GAP_PRESETS, gap_fit_arguments, merge_hyperparameters
    from aiida_lps.setup.profile import code_specs

    gap_fit = code_specs()['gap_fit']['filepath_executable']
    if shutil.which(gap_fit) is None:
        pytest.skip('gap_fit missing: run `aiida-lps setup`')
    folder = tmp_path_factory.mktemp('tiny_gap')
    frames = morse_frames(count=12)
    for atoms in frames:  # gap_fit would read a stress entry as virials (and abort on virial sigma 0)
        atoms.info['energy'] = atoms.get_potential_energy()
        atoms.arrays['forces'] = atoms.get_forces()
        atoms.calc = None
    ase.io.write(folder / 'train.xyz', frames, format='extxyz')
    arguments = gap_fit_arguments(merge_hyperparameters(GAP_PRESETS['fast']), [3, 15, 16], 'train.xyz', 'gap.xml')
    arguments.append('rnd_seed=1')  # the same GAP every session: unseeded, gap_fit's sparse points follow the clock
    subprocess.run([gap_fit, *arguments], cwd=folder, check=True, capture_output=True)
    return folder / 'gap.xml'


#: One generation: a rattled, strained copy of the explored cell is labelled and appended.
PERTURB_ONCE = {
    'name': 'perturb',
    'explorers': [{'type': 'perturb', 'count_per_structure': 1, 'rattle_A': 0.1, 'max_strain': 0.02}],
    'selector': {'method': 'all'},
    'max_generations': 1,
}


@pytest.fixture(scope='session')
def training_run_pk(aiida_profile, tmp_path_factory):
    """PK of a finished one-generation IterativeTrainingWorkChain (real pw.x and gap_fit, run once per session):
    isolated Li and S atoms, 1 initial + 1 validation + 1 new DFT label, 2 GAP fits and a SNAP fitted alongside
    each, all with the isolated-atom reference energies subtracted."""
    from aiida import orm
    from aiida.engine import run_get_node
    from aiida.manage.caching import enable_caching

    from aiida_lps.setup.profile import ensure_codes, ensure_computer
    from aiida_lps.setup.quantum_espresso import ensure_pseudo_family
    from aiida_lps.workflows.training import IterativeTrainingWorkChain

    computer, _ = ensure_computer(work_dir=str(tmp_path_factory.mktemp('work')))
    computer.set_minimum_job_poll_interval(0)  # tiny jobs: do not wait the default 10 s between polls
    ensure_codes(computer)
    ensure_pseudo_family()
    code = {name: orm.load_code(f'{name}@{computer.label}') for name in ('pw', 'gap_fit', 'lmp')}
    builder = IterativeTrainingWorkChain.get_builder_from_protocol(
        code['pw'], code['gap_fit'], {'li2s': li2s()}, lammps_code=code['lmp'], protocol='fast',
        overrides={'stages': [PERTURB_ONCE], 'labelling_overrides': FIXED_OCCUPATIONS,
                   'snap_parameters': {'twojmax': 2}, 'isolated_atom_box_A': [7.0, 7.5, 8.0]},
        initial_structures={'li2s_a': li2s(1)}, validation_structures={'li2s_v': li2s(3)},
    )
    with enable_caching(identifier='aiida.calculations:quantumespresso.pw'):  # shares pw.x runs with test_archive
        _, node = run_get_node(builder)
    assert node.exit_status in (0, IterativeTrainingWorkChain.exit_codes.WARNING_TRAINING_NOT_CONVERGED.status), \
        node.exit_message
    return node.pk


@pytest.fixture
def training_run(training_run_pk):
    """The node of ``training_run_pk``, loaded afresh: a test that switched to a fresh profile and back closed the
    storage the nodes loaded before were bound to."""
    from aiida import orm

    return orm.load_node(training_run_pk)


@pytest.fixture
def generate_workchain(aiida_profile):
    """Factory: the work chain of ``entry_point`` instantiated (inputs validated, node stored) but not run, so that
    its outline steps and process handlers can be called one at a time."""
    from aiida.engine.utils import instantiate_process
    from aiida.manage import get_manager
    from aiida.plugins import WorkflowFactory

    def factory(entry_point: str, inputs: dict):
        return instantiate_process(get_manager().get_runner(), WorkflowFactory(entry_point), **inputs)

    return factory


@pytest.fixture
def generate_calc_job_node(aiida_localhost):
    """Factory: a stored, finished ``CalcJobNode`` of the calculation ``entry_point`` that ran no code.

    :param exit_code: the ``ExitCode`` it finished with (its message formatted); None for success.
    :param inputs: nodes linked as its inputs, by link label.
    :param outputs: nodes linked as its outputs, by link label.
    :param options: its ``metadata.options``, e.g. ``{'max_wallclock_seconds': 3600}`` (s).
    """
    from aiida import orm
    from aiida.common.links import LinkType
    from aiida.plugins import CalculationFactory
    from plumpy import ProcessState

    def factory(entry_point: str, exit_code=None, inputs: dict | None = None, outputs: dict | None = None,
                options: dict | None = None):
        node = orm.CalcJobNode(computer=aiida_localhost,
                               process_type=CalculationFactory(entry_point).build_process_type())
        for name, value in (options or {}).items():
            node.set_option(name, value)
        for label, input_node in (inputs or {}).items():
            node.base.links.add_incoming(input_node.store(), LinkType.INPUT_CALC, label)
        node.set_process_state(ProcessState.FINISHED)
        node.set_exit_status(exit_code.status if exit_code else 0)
        node.set_exit_message(exit_code.message if exit_code else None)
        node.store()
        for label, output in (outputs or {}).items():
            output.base.links.add_incoming(node, LinkType.CREATE, label)
            output.store()
        return node

    return factory


@pytest.fixture
def generate_workflow_node(aiida_profile):
    """Factory: a stored, finished ``WorkflowNode`` of the work chain ``entry_point`` that ran nothing, for a parent
    work chain's inspect step.

    :param exit_code: the ``ExitCode`` it finished with (its message formatted); None for success.
    """
    from aiida import orm
    from aiida.plugins import WorkflowFactory
    from plumpy import ProcessState

    def factory(entry_point: str, exit_code=None):
        process_class = WorkflowFactory(entry_point)
        node = orm.WorkChainNode(process_type=process_class.build_process_type())
        node.set_process_label(process_class.__name__)
        node.set_process_state(ProcessState.FINISHED)
        node.set_exit_status(exit_code.status if exit_code else 0)
        node.set_exit_message(exit_code.message if exit_code else None)
        return node.store()

    return factory


@pytest.fixture
def generate_restart_workchain(generate_workchain, generate_calc_job_node):
    """Factory: a ``BaseRestartWorkChain`` of ``entry_point`` with ``process_inputs``, after ``setup``, whose first
    child is a fake finished calculation (keyword arguments of ``generate_calc_job_node``), ready for
    ``inspect_process`` or one handler."""
    from aiida.plugins.entry_point import get_entry_point_from_class

    def factory(entry_point: str, process_inputs: dict, **child):
        process = generate_workchain(entry_point, process_inputs)
        process.setup()
        calculation = process.process_class
        _, calculation_entry_point = get_entry_point_from_class(calculation.__module__, calculation.__name__)
        process.ctx.children = [generate_calc_job_node(calculation_entry_point.name, **child)]
        process.ctx.iteration = 1
        return process

    return factory
