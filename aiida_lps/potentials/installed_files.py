"""Where this Python environment keeps its programs (``lmp``, ``gap_fit``) and the files of installed wheels.

Standard library only: ``aiida_lps.setup.lammps_plugin`` uses it and is imported by every ``lmp`` launch.
"""
from __future__ import annotations

import importlib.metadata
import os
import pathlib
import sys

__all__ = ('MissingInstallationError', 'distribution_file', 'distribution_files', 'venv_bin')


class MissingInstallationError(RuntimeError):
    """A distribution or one of its files is not installed; the message says how to get it."""


def venv_bin() -> pathlib.Path:
    """The ``bin`` folder of this Python environment (holds ``gap_fit``, ``lmp`` and mpich's ``mpirun``)."""
    return pathlib.Path(sys.executable).parent


def distribution_files(distribution: str, how_to_get: str) -> list[pathlib.Path]:
    """Installed files of a distribution (from its RECORD), as absolute paths.

    :param how_to_get: the fix named in the error, e.g. ``'pip install quippy-ase'``.
    :raises MissingInstallationError: if the distribution is not installed.
    """
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError as exception:
        raise MissingInstallationError(f'`{distribution}` is not installed: {how_to_get}') from exception
    return [pathlib.Path(os.path.normpath(file.locate())) for file in files]


def distribution_file(distribution: str, filename: str, how_to_get: str) -> pathlib.Path:
    """The installed file ``filename`` (a base name, e.g. ``'libmpi.so.12'``) of a distribution.

    :raises MissingInstallationError: if the distribution is not installed or has no such file.
    """
    for path in distribution_files(distribution, how_to_get):
        if path.name == filename and path.exists():
            return path
    raise MissingInstallationError(f'`{distribution}` has no {filename}: {how_to_get}')
