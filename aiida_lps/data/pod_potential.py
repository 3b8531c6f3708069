"""``PodPotentialData``: a linear POD potential as its LAMMPS ``pod.txt`` parameter file and coefficient file.

Fitted by ``PodFitCalculation`` (``lps.pod_fit``: LAMMPS ``fitpod``) and run with
``pair_style pod``; the species (sorted by atomic number), hyperparameters and training metrics are attributes, as
for ``SnapPotentialData``, so every calcfunction and workflow that takes a SNAP takes a POD.
"""
from __future__ import annotations

from aiida_lps.data.lammps_potential import LammpsFilesPotentialData
from aiida_lps.potentials.lammps_input import pod_pair_commands
from aiida_lps.potentials.pod import read_pod_parameters

__all__ = ('PodPotentialData',)


class PodPotentialData(LammpsFilesPotentialData):
    """The parameter and coefficient files of a POD with its species, hyperparameters and metrics as attributes."""

    potential_kind = 'POD'
    FILENAMES = ('potential.pod', 'potential_coefficients.pod')

    def __init__(self, parameters: str, coefficients: str, **kwargs):
        """Store a POD.

        :param parameters: text of ``pod.txt`` (species, cutoffs rin and rcut in Angstrom, basis sizes).
        :param coefficients: text of the coefficient file written by fitpod (eV).
        :param kwargs: ``hyperparameters`` (see ``aiida_lps.potentials.pod.DEFAULT_POD_HYPERPARAMETERS``),
            ``metrics``.
        :raises ValueError: if the parameter file names no species or the species are not sorted by atomic number.
        """
        super().__init__(parameters, coefficients, species=read_pod_parameters(parameters)['species'], **kwargs)

    def pair_commands(self, species):
        return pod_pair_commands(*self.FILENAMES, species)
