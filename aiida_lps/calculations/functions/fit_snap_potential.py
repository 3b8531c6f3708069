"""Calcfunctions fitting a fast linear potential (SNAP or POD) to a training set, with its training-set RMSEs.

``SNAP_FITTER`` and ``POD_FITTER`` are their ``PotentialFitter``s, the entry points ``snap`` and ``pod`` of the group
``lps.potential_fitters`` (``aiida_lps.calculations.fitters``).
"""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.calculations.fitters import PotentialFitter
from aiida_lps.data.pod_potential import PodPotentialData
from aiida_lps.data.snap_potential import SnapPotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.evaluate import metrics_against_labels
from aiida_lps.potentials.pod import fit_pod, merge_pod_hyperparameters
from aiida_lps.potentials.snap import fit_snap, merge_snap_hyperparameters


def fitted_potential(fit, data_type, training_set: TrainingSetData, parameters: orm.Dict | None,
            reference_energies: orm.Dict | None) -> dict:
    """Fit with ``fit``, store the files as ``data_type`` and evaluate the potential in LAMMPS on its training set."""
    frames = training_set.to_atoms()
    model = fit(frames, parameters.get_dict() if parameters is not None else None,
                reference_energies=reference_energies.get_dict() if reference_energies is not None else None)
    metrics = metrics_against_labels(frames, model.calculator())
    potential = data_type(*model.files(), hyperparameters=model.hyperparameters, metrics=metrics)
    return {'potential': potential, 'metrics': orm.Dict(metrics)}


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


@calcfunction
def fit_pod_potential(training_set: TrainingSetData, parameters: orm.Dict = None,
                        reference_energies: orm.Dict = None) -> dict:
    """Fit a POD with LAMMPS's ``fitpod`` (``aiida_lps.potentials.pod.fit_pod``) to energies and forces.

    :param parameters: overrides of ``DEFAULT_POD_HYPERPARAMETERS`` (cutoffs in Angstrom, basis sizes, ridge).
    :param reference_energies: isolated-atom energy per element, eV (``IsolatedAtomEnergiesWorkChain``).
    :return: ``potential`` (``PodPotentialData``) and ``metrics`` (Dict): the RMSEs of LAMMPS's ``pair_style pod``
        with the fitted files on the training set, the same keys as ``GapFitCalculation``'s.
    """
    return fitted_potential(fit_pod, PodPotentialData, training_set, parameters, reference_energies)


#: The SNAP fit weighs labels by their ``source`` tag (``sigma_factors_by_source``); fitpod weighs all alike.
SNAP_FITTER = PotentialFitter(fit_snap_potential, SnapPotentialData, merge_snap_hyperparameters, weighs_by_source=True)
POD_FITTER = PotentialFitter(fit_pod_potential, PodPotentialData, merge_pod_hyperparameters)

__all__ = ('fit_snap_potential', 'fit_pod_potential', 'fitted_potential', 'SNAP_FITTER', 'POD_FITTER')
