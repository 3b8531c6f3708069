"""``LammpsFilesPotentialData``: a potential stored as the text files that LAMMPS's ``pair_coeff`` reads.

The base of ``SnapPotentialData`` and ``PodPotentialData``: the files in the repository under fixed names, the md5
of their contents (``get_or_create`` deduplicates by it), the species in LAMMPS type order (sorted by atomic
number), the hyperparameters of the fit and its training metrics as attributes.
"""
from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence

from aiida.orm import QueryBuilder
from ase.data import atomic_numbers

from aiida_lps.data.potentials import PotentialData

__all__ = ('LammpsFilesPotentialData',)


class LammpsFilesPotentialData(PotentialData):
    """Text files of a LAMMPS pair style, in ``pair_coeff`` order, with species, hyperparameters and metrics.

    A subclass sets ``FILENAMES`` and ``potential_kind`` and gives ``pair_commands``; ``get_calculator`` runs that
    pair style in-process (``PotentialData``)."""

    #: Repository names of the files, in the order the constructor takes their texts and ``pair_coeff`` reads them.
    FILENAMES: tuple[str, ...] = ()

    def __init__(self, *texts: str, species: Sequence[str], hyperparameters: dict | None = None,
                 metrics: dict | None = None, **kwargs):
        """Store the files.

        :param texts: one text per entry of ``FILENAMES``.
        :param species: the chemical symbols the files define, which must be sorted by atomic number.
        :param hyperparameters: settings of the fit.
        :param metrics: training metrics, e.g. ``{'energy_rmse_meV_per_atom': ..., 'force_rmse_eV_per_A': ...}``.
        :raises ValueError: if the species are not in LAMMPS type order.
        """
        if list(species) != sorted(species, key=lambda symbol: atomic_numbers[symbol]):
            raise ValueError(f'the {self.potential_kind} elements {list(species)} must be sorted by atomic number '
                             '(the LAMMPS type order)')
        super().__init__(**kwargs)
        for name, text in zip(self.FILENAMES, texts, strict=True):
            self.base.repository.put_object_from_filelike(io.BytesIO(text.encode()), name)
        self.base.attributes.set('md5', _md5(texts))
        self.base.attributes.set('species', list(species))
        self.base.attributes.set('hyperparameters', hyperparameters or {})
        self.base.attributes.set('metrics', metrics or {})

    @classmethod
    def get_or_create(cls, *texts: str, **kwargs):
        """Return the stored potential of this type with the same files (md5) if one exists, else a new node."""
        query = QueryBuilder().append(cls, filters={'attributes.md5': _md5(texts)})
        existing = query.first(flat=True)
        return existing if existing is not None else cls(*texts, **kwargs)

    def lammps_files(self) -> dict[str, bytes]:
        """The files by name, as ``pair_coeff`` reads them."""
        return {name: self.base.repository.get_object_content(name, mode='rb') for name in self.FILENAMES}


def _md5(texts: Sequence[str]) -> str:
    return hashlib.md5('\0'.join(texts).encode()).hexdigest()
