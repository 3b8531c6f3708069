"""``MliapNnPotentialData``: a neural-network potential on bispectrum descriptors, as the two files of LAMMPS's ML-IAP
``pair_style mliap model nn ... descriptor sna ...``.

Fitted by ``aiida_lps.calculations.functions.fit_nn_potential`` (``aiida_lps.potentials.mliap_nn``); the species
(sorted by atomic number, the ``elems`` of the descriptor file), hyperparameters and training metrics are attributes.
"""
from __future__ import annotations

from aiida_lps.data.lammps_potential import LammpsFilesPotentialData
from aiida_lps.potentials.mliap_nn import nn_pair_commands, read_nn_species

__all__ = ('MliapNnPotentialData',)


class MliapNnPotentialData(LammpsFilesPotentialData):
    """The ML-IAP ``nn`` model and ``sna`` descriptor files with species, hyperparameters and metrics."""

    potential_kind = 'NN'
    FILENAMES = ('potential.mliap.model', 'potential.mliap.descriptor')

    def __init__(self, model: str, descriptor: str, **kwargs):
        """Store an ML-IAP NN.

        :param model: text of the ``nn`` model file (per element: descriptor shift and scale, weights in eV).
        :param descriptor: text of the ``sna`` descriptor file (rcutfac, twojmax, radii in Angstrom, weights).
        :param kwargs: ``hyperparameters`` (see ``DEFAULT_NN_HYPERPARAMETERS``), ``metrics``.
        :raises ValueError: if the descriptor names no elements or they are not sorted by atomic number.
        """
        super().__init__(model, descriptor, species=read_nn_species(descriptor), **kwargs)

    def pair_commands(self, species):
        return nn_pair_commands(*self.FILENAMES, species)
