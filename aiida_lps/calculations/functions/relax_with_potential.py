"""Calcfunction: BFGS relaxation of a structure's positions with a GAP."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.data.potentials import PotentialData
from aiida_lps.potentials.relax import relax_positions


@calcfunction
def relax_with_potential(
    potential: PotentialData, structure: orm.StructureData, fmax: orm.Float, max_steps: orm.Int
) -> dict:
    """Relax positions at fixed cell until the largest force is below ``fmax`` (eV/Angstrom) or ``max_steps``.

    :return: ``structure`` (relaxed) and ``result`` (``energy`` eV, ``max_force`` eV/Angstrom, ``steps``,
        ``converged``).
    :raises ValueError: naming the species the potential does not cover.
    """
    potential.check_covers(structure.get_symbols_set())
    outcome = relax_positions(structure.get_ase(), potential.get_calculator(), fmax.value, max_steps.value)
    return {
        'structure': orm.StructureData(ase=outcome.pop('atoms')),
        'result': orm.Dict(outcome),
    }
