"""``PotentialData``: the one interface of every interatomic potential node (GAP, SNAP, POD, ...).

A kind subclasses it (``GapPotentialData``, or ``LammpsFilesPotentialData`` for a kind stored as text files) and
says itself how LAMMPS runs it (``pair_commands`` and ``lammps_files``) and how ASE evaluates it
(``get_calculator``). Calculations, calcfunctions and work chains take ``PotentialData`` (``valid_type``) and call
only these methods, never test the concrete type. The species (sorted by atomic number), the md5 of the files,
the hyperparameters of the fit and its training metrics are attributes set by the subclass when the node is created.
"""
from __future__ import annotations

from collections.abc import Sequence

from aiida.orm import Data

__all__ = ('PotentialData',)


class PotentialData(Data):
    """An interatomic potential: species, files, LAMMPS pair commands and an ASE calculator."""

    #: What the potential is, in messages ('GAP', 'SNAP').
    potential_kind = 'potential'
    #: Whether ``get_variance_calculator`` gives a predictive variance (the ``uncertainty`` selection needs it).
    predicts_variance = False

    @property
    def species(self) -> list[str]:
        """Chemical symbols the potential covers, sorted by atomic number (LAMMPS types 1, 2, ...)."""
        return self.base.attributes.get('species')

    @property
    def md5(self) -> str:
        """MD5 of the potential's file content; ``get_or_create`` deduplicates by it."""
        return self.base.attributes.get('md5')

    @property
    def hyperparameters(self) -> dict:
        """Settings of the fit (radii in Angstrom)."""
        return self.base.attributes.get('hyperparameters')

    @property
    def metrics(self) -> dict:
        """Training errors of the fit (energy meV/atom, force eV/Angstrom, per element)."""
        return self.base.attributes.get('metrics')

    def check_covers(self, symbols) -> None:
        """Raise ``ValueError`` naming the species of ``symbols`` that this potential was not trained on."""
        missing = sorted(set(symbols) - set(self.species))
        if missing:
            raise ValueError(f'the {self.potential_kind} potential<{self.pk}> covers {self.species} but the structure '
                             f'also has {missing}')

    def lammps_files(self) -> dict[str, bytes]:
        """The files that ``pair_commands`` reads, by name (relative to the LAMMPS working directory)."""
        raise NotImplementedError(f'{type(self).__name__} must give lammps_files()')

    def pair_commands(self, species: Sequence[str]) -> list[str]:
        """``pair_style`` and ``pair_coeff`` lines reading ``lammps_files``, LAMMPS type t being ``species[t - 1]``."""
        raise NotImplementedError(f'{type(self).__name__} must give pair_commands(species)')

    def get_calculator(self):
        """An ASE calculator of this potential: by default its LAMMPS pair style run in-process (eV, Angstrom)."""
        from aiida_lps.potentials.lammps_library import LammpsPairCalculator

        return LammpsPairCalculator(self.species, self.pair_commands(self.species), self.lammps_files())

    def get_variance_calculator(self):
        """An ASE calculator that also gives the per-atom predictive variance (eV^2) as
        ``aiida_lps.sampling.selection.gap_uncertainty`` reads it; only where ``predicts_variance``.

        :raises ValueError: for a kind without a predictive variance.
        """
        raise ValueError(f'the {self.potential_kind} potential<{self.pk}> has no predictive variance: use a kind '
                         'with predicts_variance (a GAP)')
