"""Calcfunction: a linear SNAP fitted by least squares to a training set, with its training-set RMSEs."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.data.snap_potential import SnapPotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.evaluate import metrics_against_labels
from aiida_lps.potentials.snap import fit_snap


@calcfunction
def fit_snap_potential(training_set: TrainingSetData, parameters: orm.Dict = None) -> dict:
    """Fit a SNAP (``aiida_lps.potentials.snap.fit_snap``) to the energies (eV) and forces (eV/Angstrom).

    :param parameters: overrides of ``DEFAULT_SNAP_HYPERPARAMETERS`` (radii in Angstrom, sigmas in eV/atom and
        eV/Angstrom).
    :return: ``potential`` (``SnapPotentialData``) and ``metrics`` (Dict): the RMSEs of LAMMPS's
        ``pair_style snap`` with the fitted files on the training set, the same keys as ``GapFitCalculation``'s.
    """
    frames = training_set.to_atoms()
    model = fit_snap(frames, parameters.get_dict() if parameters is not None else None)
    metrics = metrics_against_labels(frames, model.calculator())
    potential = SnapPotentialData(
        model.snapcoeff(), model.snapparam(), hyperparameters=model.hyperparameters, metrics=metrics
    )
    return {'potential': potential, 'metrics': orm.Dict(metrics)}


__all__ = ('fit_snap_potential',)
