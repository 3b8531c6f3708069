"""``SnapPotentialData``: a linear SNAP potential as its LAMMPS ``snapcoeff`` and ``snapparam`` files.

The species (LAMMPS type order of ``pair_coeff``, sorted by atomic number), ``twojmax``, the hyperparameters of the
fit and the training metrics (the keys of ``aiida_lps.analysis.errors.error_metrics``) are attributes.
``get_calculator`` and ``check_covers`` behave as those of ``GapPotentialData``, so the evaluation calcfunctions,
``LammpsMdCalculation`` and ``ArrheniusWorkChain`` take either.
"""
from __future__ import annotations

from aiida_lps.data.lammps_potential import LammpsFilesPotentialData
from aiida_lps.potentials.lammps_input import snap_pair_commands
from aiida_lps.potentials.snap import read_snapcoeff, read_snapparam

__all__ = ('SnapPotentialData',)


class SnapPotentialData(LammpsFilesPotentialData):
    """The ``snapcoeff``/``snapparam`` pair of a SNAP with its species, hyperparameters and metrics as attributes."""

    potential_kind = 'SNAP'
    FILENAMES = ('potential.snapcoeff', 'potential.snapparam')

    def __init__(self, snapcoeff: str, snapparam: str, **kwargs):
        """Store a SNAP.

        :param snapcoeff: text of the coefficient file (per element: radius in Angstrom, weight, coefficients in eV).
        :param snapparam: text of the parameter file (rcutfac, twojmax, rfac0, rmin0 in Angstrom, flags).
        :param kwargs: ``hyperparameters`` (see ``aiida_lps.potentials.snap.DEFAULT_SNAP_HYPERPARAMETERS``),
            ``metrics``.
        :raises ValueError: if the files are not a linear SNAP or the elements are not sorted by atomic number.
        """
        parameters = read_snapparam(snapparam)
        super().__init__(snapcoeff, snapparam, species=read_snapcoeff(snapcoeff)['species'], **kwargs)
        self.base.attributes.set('twojmax', parameters['twojmax'])

    def get_snapcoeff(self) -> str:
        """Text of the ``snapcoeff`` file."""
        return self.base.repository.get_object_content(self.FILENAMES[0])

    def get_snapparam(self) -> str:
        """Text of the ``snapparam`` file."""
        return self.base.repository.get_object_content(self.FILENAMES[1])

    def pair_commands(self, species):
        return snap_pair_commands(*self.FILENAMES, species)
