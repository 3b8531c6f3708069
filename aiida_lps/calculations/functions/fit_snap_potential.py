"""Calcfunction fitting a SNAP to a training set, with its training-set RMSEs; ``SNAP_FITTER`` is the ``snap``
entry point of ``lps.potential_fitters``."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.calculations.fitters import PotentialFitter, fitted_potential
from aiida_lps.data.snap_potential import SnapPotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.snap import fit_snap, merge_snap_hyperparameters


@calcfunction
def fit_snap_potential(training_set: TrainingSetData, parameters: orm.Dict = None,
                        reference_energies: orm.Dict = None) -> dict:
    """Fit a SNAP (``aiida_lps.potentials.snap.fit_snap``) to the energies (eV) and forces (eV/Angstrom).

    :param parameters: overrides of ``DEFAULT_SNAP_HYPERPARAMETERS`` (radii in Angstrom, sigmas in eV/atom and
        eV/Angstrom).
    :param reference_energies: isolated-atom energy per element, eV (``IsolatedAtomEnergiesWorkChain``).
    :return: ``potential`` (``SnapPotentialData``) and ``metrics`` (Dict): the RMSEs of LAMMPS's
        ``pair_style snap`` with the fitted files on the training set, the same keys as ``GapFitCalculation``'s.
    """
    return fitted_potential(fit_snap, SnapPotentialData, training_set, parameters, reference_energies)


#: The SNAP fit weighs labels by their ``source`` tag (``sigma_factors_by_source``); fitpod weighs all alike.
SNAP_FITTER = PotentialFitter(fit_snap_potential, SnapPotentialData, merge_snap_hyperparameters, weighs_by_source=True)

__all__ = ('fit_snap_potential', 'SNAP_FITTER')
