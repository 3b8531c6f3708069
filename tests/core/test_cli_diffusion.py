"""Round trip of ``aiida-lps diffusion`` on a random walk written as extxyz, one error line per bad input, and its
import hygiene."""
import json
import re
import subprocess
import sys

import ase
import ase.io
from click.testing import CliRunner
import numpy as np
import pytest

from aiida_lps.analysis.conductivity import nernst_einstein_factor
from aiida_lps.cli.diffusion import diffusion

TRUE_D = 0.5  # Angstrom^2/ps
FRAME_INTERVAL_FS = 100.0
CELL_A = 10.0


@pytest.fixture(scope='module')
def random_walk_extxyz(tmp_path_factory):
    """16 Li random walkers among 8 vibrating S, all drifting together, wrapped into a 10 A cube."""
    rng = np.random.default_rng(42)
    n_frames, n_li, n_s = 300, 16, 8
    step_A = np.sqrt(2 * TRUE_D * FRAME_INTERVAL_FS / 1000)
    li = rng.uniform(0, CELL_A, (1, n_li, 3)) + np.concatenate(
        [np.zeros((1, n_li, 3)), np.cumsum(rng.normal(scale=step_A, size=(n_frames - 1, n_li, 3)), axis=0)])
    s = rng.uniform(0, CELL_A, (1, n_s, 3)) + rng.normal(scale=0.2, size=(n_frames, n_s, 3))
    drift = np.arange(n_frames)[:, None, None] * np.array([0.03, -0.01, 0.02])
    positions = np.concatenate([li, s], axis=1) + drift
    frames = [ase.Atoms('Li16S8', positions=frame, cell=[CELL_A] * 3, pbc=True) for frame in positions]
    for atoms in frames:
        atoms.wrap()
    path = tmp_path_factory.mktemp('trajectory') / 'walk.extxyz'
    ase.io.write(path, frames, format='extxyz')
    return path


def run(*arguments):
    return CliRunner().invoke(diffusion, [str(argument) for argument in arguments])


def test_cli_recovers_d_and_conductivity(random_walk_extxyz):
    result = run(random_walk_extxyz, '--species', 'Li', '--timestep-fs', 2, '--stride-fs', FRAME_INTERVAL_FS,
                 '--temperature', 600)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    tracer = report['tracer']
    assert abs(tracer['diffusivity_A2_per_ps'] - TRUE_D) < 3 * tracer['diffusivity_err_A2_per_ps']
    assert tracer['diffusivity_cm2_per_s'] == pytest.approx(1e-4 * tracer['diffusivity_A2_per_ps'])
    factor = nernst_einstein_factor(16, CELL_A**3, 600.0)
    assert tracer['conductivity_S_per_cm'] == pytest.approx(factor * tracer['diffusivity_A2_per_ps'])
    assert tracer['conductivity_err_S_per_cm'] == pytest.approx(factor * tracer['diffusivity_err_A2_per_ps'])
    collective = report['collective']
    assert abs(collective['diffusivity_A2_per_ps'] - TRUE_D) < 3 * collective['diffusivity_err_A2_per_ps']
    assert collective['dispersion_ratio'] is None
    assert 0 < report['fit_start_ps'] < report['fit_end_ps'] == pytest.approx(14.9)
    assert report['n_carriers'] == 16 and report['n_frames'] == 300 and report['frame_interval_fs'] == 100.0
    assert report['volume_A3'] == pytest.approx(1000.0)
    assert report['matrix_flow']['is_flowing'] is False
    assert 'S: static' in report['matrix_flow']['reason']
    assert report['diffusive'] is True and report['not_diffusive_reason'] is None


def test_cli_respects_an_explicit_fit_window(random_walk_extxyz):
    result = run(random_walk_extxyz, '--species', 'Li', '--timestep-fs', 100, '--temperature', 600,
                 '--fit-start-ps', 2.0, '--fit-end-ps', 10.0)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report['fit_start_ps'], report['fit_end_ps']) == pytest.approx((2.0, 10.0))


def test_cli_gives_a_flagged_estimate_for_a_sub_diffusive_trajectory(tmp_path):
    # 16 Li rattling in their cages (0.5 A) for 300 frames: no window can be justified
    rng = np.random.default_rng(3)
    sites = rng.uniform(0, CELL_A, (16, 3))
    frames = [ase.Atoms('Li16', positions=sites + rng.normal(scale=0.5, size=(16, 3)), cell=[CELL_A] * 3, pbc=True)
              for _ in range(300)]
    path = tmp_path / 'caged.extxyz'
    ase.io.write(path, frames, format='extxyz')
    result = run(path, '--species', 'Li', '--timestep-fs', 100, '--temperature', 300)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report['diffusive'] is False and 'never grows linearly' in report['not_diffusive_reason']
    tracer = report['tracer']
    assert np.isfinite(tracer['diffusivity_A2_per_ps']) and tracer['diffusivity_err_A2_per_ps'] > 0
    assert abs(tracer['diffusivity_A2_per_ps']) < 3 * tracer['diffusivity_err_A2_per_ps']  # a cage: D = 0
    assert np.isfinite(tracer['conductivity_S_per_cm']) and 0 < report['fit_start_ps'] < report['fit_end_ps']
    assert report['matrix_flow'] is None


def test_cli_reports_bad_input_clearly(random_walk_extxyz):
    missing = run(random_walk_extxyz, '--species', 'Na', '--timestep-fs', 2, '--temperature', 600)
    assert missing.exit_code != 0 and 'no Na atoms' in missing.output
    bad_stride = run(random_walk_extxyz, '--species', 'Li', '--timestep-fs', 2, '--stride-fs', 3, '--temperature', 600)
    assert bad_stride.exit_code != 0 and 'not a multiple' in bad_stride.output


def write_frames(path, formulas):
    """One frame per formula (e.g. ``['Li4S2'] * 20``), atoms at random places in the 10 A cube, as extxyz."""
    rng = np.random.default_rng(7)
    frames = [ase.Atoms(formula, cell=[CELL_A] * 3, pbc=True) for formula in formulas]
    for atoms in frames:
        atoms.positions = rng.uniform(0, CELL_A, (len(atoms), 3))
    ase.io.write(path, frames, format='extxyz')


def write_truncated(path):
    """Ten frames of Li4S2 with the last three lines cut off (a run killed while writing)."""
    write_frames(path, ['Li4S2'] * 10)
    path.write_text(''.join(path.read_text().splitlines(keepends=True)[:-3]))


BAD_TRAJECTORIES = {
    # file name: (writer, what the error line says)
    'empty.extxyz': (lambda path: path.write_text(''), 'is empty'),
    'garbage.extxyz': (lambda path: path.write_text('hello\nnot a trajectory\n'), 'is it a complete trajectory'),
    'notes.txt': (lambda path: path.write_text('hello\n'), 'give it with --format'),
    'one_frame.extxyz': (lambda path: write_frames(path, ['Li4S2']),
                         r'holds 1 frame\(s\); an MSD fit needs at least 5'),
    'truncated.extxyz': (write_truncated, 'is it a complete trajectory'),
    'growing.extxyz': (lambda path: write_frames(path, ['Li4S2'] * 10 + ['Li4S4'] * 10),
                       'frame 10 of .* has 8 atoms, frame 0 has 6'),
    'reordered.extxyz': (lambda path: write_frames(path, ['Li4S2'] * 10 + ['S2Li4'] * 10),
                         'frame 10 of .* lists its elements in another order'),
}


def assert_one_error_line(result, path, pattern, exit_code=1):
    """Click handled it (no traceback): exit code, and a last line ``Error: ...`` naming the file and the problem."""
    assert isinstance(result.exception, SystemExit), result.output  # an unhandled exception would be kept here
    assert result.exit_code == exit_code and 'Traceback' not in result.output, result.output
    error = result.output.strip().splitlines()[-1]
    assert error.startswith('Error: ') and path.name in error and re.search(pattern, error), result.output


@pytest.mark.parametrize('name', BAD_TRAJECTORIES)
def test_cli_gives_one_error_line_for_a_bad_trajectory(tmp_path, name):
    write, pattern = BAD_TRAJECTORIES[name]
    path = tmp_path / name
    write(path)
    result = run(path, '--species', 'Li', '--timestep-fs', 100, '--temperature', 600)
    assert_one_error_line(result, path, pattern)


def test_cli_names_the_species_of_a_trajectory_without_li(tmp_path):
    path = tmp_path / 'sodium.extxyz'
    write_frames(path, ['Na4S2'] * 20)
    result = run(path, '--species', 'Li', '--timestep-fs', 100, '--temperature', 600)
    assert_one_error_line(result, path, 'no Li atoms in .*; species present: Na, S', exit_code=2)


def test_cli_refuses_a_fit_window_outside_the_trajectory_and_an_unknown_format(random_walk_extxyz):
    late_start = run(random_walk_extxyz, '--species', 'Li', '--timestep-fs', 100, '--temperature', 600,
                     '--fit-start-ps', 20)
    assert_one_error_line(late_start, random_walk_extxyz, "'--fit-start-ps'.* is 29.9 ps long", exit_code=2)
    unknown_format = run(random_walk_extxyz, '--species', 'Li', '--timestep-fs', 100, '--temperature', 600,
                         '--format', 'xyzz')
    assert unknown_format.exit_code == 2 and "'xyzz' is not an ASE format" in unknown_format.output


def test_cli_and_core_modules_do_not_import_aiida():
    modules = ['aiida_lps.cli.diffusion', 'aiida_lps.analysis.msd', 'aiida_lps.analysis.diffusion',
               'aiida_lps.analysis.conductivity', 'aiida_lps.analysis.arrhenius', 'aiida_lps.plotting.conductivity']
    code = f'import sys; import {", ".join(modules)}; sys.exit("aiida" in sys.modules)'
    assert subprocess.run([sys.executable, '-c', code], check=False).returncode == 0
