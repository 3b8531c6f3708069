"""``SnapPotentialData``: a linear SNAP potential as its LAMMPS ``snapcoeff`` and ``snapparam`` files.

The species (LAMMPS type order of ``pair_coeff``, sorted by atomic number), the hyperparameters of the fit and the
training metrics (the keys of ``aiida_lps.analysis.errors.error_metrics``) are attributes; the md5 of the two
files deduplicates imports (``get_or_create``). ``get_calculator`` and ``check_covers`` behave as those of
``GapPotentialData``, so the evaluation and relaxation calcfunctions and ``LammpsMdCalculation`` take either.
"""
from __future__ import annotations

import hashlib
import io

from aiida.orm import Data, QueryBuilder
from ase.data import atomic_numbers

from aiida_lps.data.potential_attributes import PotentialAttributesMixin
from aiida_lps.potentials.snap import read_snapcoeff, read_snapparam, snap_calculator

__all__ = ('SnapPotentialData',)

SNAPCOEFF_FILENAME = 'potential.snapcoeff'
SNAPPARAM_FILENAME = 'potential.snapparam'


class SnapPotentialData(PotentialAttributesMixin, Data):
    """The ``snapcoeff``/``snapparam`` pair of a SNAP with its species, hyperparameters and metrics as attributes."""

    potential_kind = 'SNAP'

    def __init__(self, snapcoeff: str, snapparam: str, *, hyperparameters: dict | None = None,
                 metrics: dict | None = None, **kwargs):
        """Store a SNAP.

        :param snapcoeff: text of the coefficient file (per element: radius in Angstrom, weight, coefficients in eV).
        :param snapparam: text of the parameter file (rcutfac, twojmax, rfac0, rmin0 in Angstrom, flags).
        :param hyperparameters: settings of the fit (see ``aiida_lps.potentials.snap.DEFAULT_SNAP_HYPERPARAMETERS``).
        :param metrics: training metrics, e.g. ``{'energy_rmse_meV_per_atom': ..., 'force_rmse_eV_per_A': ...}``.
        :raises ValueError: if the files are not a linear SNAP.
        """
        species = read_snapcoeff(snapcoeff)['species']
        parameters = read_snapparam(snapparam)
        if species != sorted(species, key=lambda symbol: atomic_numbers[symbol]):
            raise ValueError(
                f'the snapcoeff elements {species} must be sorted by atomic number (the LAMMPS type order)'
            )
        super().__init__(**kwargs)
        self.base.repository.put_object_from_filelike(io.BytesIO(snapcoeff.encode()), SNAPCOEFF_FILENAME)
        self.base.repository.put_object_from_filelike(io.BytesIO(snapparam.encode()), SNAPPARAM_FILENAME)
        self.base.attributes.set('md5', _md5(snapcoeff, snapparam))
        self.base.attributes.set('species', species)
        self.base.attributes.set('twojmax', parameters['twojmax'])
        self.base.attributes.set('hyperparameters', hyperparameters or {})
        self.base.attributes.set('metrics', metrics or {})

    @classmethod
    def get_or_create(cls, snapcoeff: str, snapparam: str, **kwargs) -> SnapPotentialData:
        """Return the stored potential with the same files (md5) if one exists, else a new unstored node."""
        query = QueryBuilder().append(cls, filters={'attributes.md5': _md5(snapcoeff, snapparam)})
        existing = query.first(flat=True)
        return existing if existing is not None else cls(snapcoeff, snapparam, **kwargs)

    def get_snapcoeff(self) -> str:
        """Text of the ``snapcoeff`` file."""
        return self.base.repository.get_object_content(SNAPCOEFF_FILENAME)

    def get_snapparam(self) -> str:
        """Text of the ``snapparam`` file."""
        return self.base.repository.get_object_content(SNAPPARAM_FILENAME)

    def lammps_files(self) -> dict[str, bytes]:
        """The two files by name, as ``pair_coeff`` of ``pair_style snap`` reads them."""
        return {SNAPCOEFF_FILENAME: self.get_snapcoeff().encode(), SNAPPARAM_FILENAME: self.get_snapparam().encode()}

    def get_calculator(self):
        """An ASE calculator running this SNAP with LAMMPS's ``pair_style snap`` in-process."""
        return snap_calculator(self.get_snapcoeff(), self.get_snapparam())


def _md5(snapcoeff: str, snapparam: str) -> str:
    return hashlib.md5(f'{snapcoeff}\0{snapparam}'.encode()).hexdigest()
