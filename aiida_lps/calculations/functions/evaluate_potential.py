"""Calcfunction: the errors of a potential (any kind) on labelled configurations (RMSEs and parity data)."""
from aiida.engine import calcfunction

from aiida_lps.calculations.functions.error_metrics import errors_and_parity
from aiida_lps.data.potentials import PotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.evaluate import predict


@calcfunction
def evaluate_potential(potential: PotentialData, configurations: TrainingSetData) -> dict:
    """Energy (meV/atom, also offset-removed) and force (eV/Angstrom, also per element and per motif) RMSEs of
    ``potential``.

    :return: ``metrics`` (Dict, see ``aiida_lps.analysis.errors.error_metrics``) and ``parity`` (ArrayData:
        ``energy_reference``/``energy_predicted`` in eV/atom, ``force_reference``/``force_predicted`` components in
        eV/Angstrom, ``force_element`` the atomic number of each component).
    :raises ValueError: naming the species the potential does not cover.
    """
    potential.check_covers(configurations.species)
    energies, forces = predict(configurations.to_atoms(), potential.get_calculator())
    return errors_and_parity(configurations, energies, forces)


__all__ = ('evaluate_potential',)
