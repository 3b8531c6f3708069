"""Calcfunction fitting an ML-IAP neural network on bispectrum descriptors to a training set; ``NN_FITTER`` is the
``nn`` entry point of ``lps.potential_fitters``."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.calculations.fitters import PotentialFitter, fitted_potential
from aiida_lps.data.nn_potential import MliapNnPotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.mliap_nn import fit_nn, merge_nn_hyperparameters

__all__ = ('fit_nn_potential', 'NN_FITTER')


@calcfunction
def fit_nn_potential(training_set: TrainingSetData, parameters: orm.Dict = None,
                     reference_energies: orm.Dict = None) -> dict:
    """Fit one network per element (``aiida_lps.potentials.mliap_nn.fit_nn``, torch) to energies and forces.

    :param parameters: overrides of ``DEFAULT_NN_HYPERPARAMETERS`` (radii in Angstrom, layers, sigmas in eV/atom and
        eV/Angstrom, seed).
    :param reference_energies: isolated-atom energy per element, eV (``IsolatedAtomEnergiesWorkChain``).
    :return: ``potential`` (``MliapNnPotentialData``) and ``metrics`` (Dict): the RMSEs of LAMMPS's
        ``pair_style mliap`` with the fitted files on the training set, the same keys as ``GapFitCalculation``'s.
    """
    return fitted_potential(fit_nn, MliapNnPotentialData, training_set, parameters, reference_energies)


NN_FITTER = PotentialFitter(fit_nn_potential, MliapNnPotentialData, merge_nn_hyperparameters)
