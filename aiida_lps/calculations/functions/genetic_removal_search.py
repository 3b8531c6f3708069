"""Calcfunction: the GA over Li2S/P2S5 removal sets of a parent cell, with a GAP and a short relaxation as fitness.

Wraps :func:`aiida_lps.sampling.genetic.search_removals`. The fitness of a removal set is the GAP energy (eV) of
the remaining structure after a BFGS relaxation at fixed cell (:func:`aiida_lps.potentials.relax.relax_positions`),
stopped at ``relax_fmax_eV_per_A`` or after ``relax_max_steps`` steps. All candidates of one search have the same
composition, so ranking by total energy is ranking by formation energy. The ``n_best`` candidates are returned
relaxed with the GAP (the same deterministic relaxation that gave their fitness), ready for DFT.
"""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.data.potentials import PotentialData
from aiida_lps.potentials.relax import relax_positions
from aiida_lps.sampling.genetic import GeneticSettings, remove_atoms, search_removals

__all__ = ('GENETIC_SEARCH_ATTRIBUTE', 'candidate_label', 'genetic_removal_search')

GENETIC_SEARCH_ATTRIBUTE = 'genetic_search'
"""Attribute of every returned candidate: ``rank``, ``removed_indices`` (of the parent), ``gap_energy_eV``,
``gap_max_force_eV_per_A``, ``gap_relaxation_converged``."""


def _finite_or_none(value: float) -> float | None:
    """``value``, or None where a discarded structure (energy inf) makes it non-finite (Dicts store JSON)."""
    return float(value) if np.isfinite(value) else None


def candidate_label(rank: int) -> str:
    """Output label of the candidate of rank ``rank`` (0 = lowest GAP energy): ``candidate_00``."""
    return f'candidate_{rank:02d}'


@calcfunction
def genetic_removal_search(
    parent: orm.StructureData, potential: PotentialData, unit: orm.Str, n_units: orm.Int, settings: orm.Dict,
    relax_fmax_eV_per_A: orm.Float, relax_max_steps: orm.Int, seed: orm.Int,
) -> dict:
    """The ``settings['n_best']`` lowest-energy removals of ``n_units`` ``unit`` ('Li2S' or 'P2S5') from ``parent``.

    :param settings: keyword arguments of :class:`aiida_lps.sampling.genetic.GeneticSettings` (population_size,
        mutation_rate, n_generations, max_stagnant_generations, n_best, ...).
    :param relax_fmax_eV_per_A: the fitness relaxation stops below this largest force, eV/Angstrom.
    :param relax_max_steps: the fitness relaxation stops after this many BFGS steps.
    :param seed: seed of the GA; the same inputs give the same candidates.
    :return: ``candidate_00``, ``candidate_01``, ... (GAP-relaxed, ascending GAP energy; candidates whose
        relaxation gave a non-finite energy are dropped) and ``search`` (counts and the per-generation history,
        energies in eV).
    :raises ValueError: naming the problem (species the GAP does not cover, a parent too small, bad settings).
    """
    potential.check_covers(parent.get_symbols_set())
    calculator = potential.get_calculator()
    fmax, max_steps = relax_fmax_eV_per_A.value, relax_max_steps.value

    def relaxed_energy(atoms) -> float:
        energy = relax_positions(atoms, calculator, fmax, max_steps)['energy']
        return energy if np.isfinite(energy) else np.inf

    atoms = parent.get_ase()
    result = search_removals(
        atoms, relaxed_energy, np.random.default_rng(seed.value), unit=unit.value, n_units=n_units.value,
        settings=GeneticSettings(**settings.get_dict()),
    )
    outputs = {}
    for candidate in result.candidates:
        if not np.isfinite(candidate.energy):
            continue
        outcome = relax_positions(remove_atoms(atoms, candidate.removed_indices), calculator, fmax, max_steps)
        structure = orm.StructureData(ase=outcome['atoms'])
        structure.base.attributes.set(GENETIC_SEARCH_ATTRIBUTE, {
            'rank': len(outputs),
            'removed_indices': candidate.removed_indices.tolist(),
            'gap_energy_eV': outcome['energy'],
            'gap_max_force_eV_per_A': outcome['max_force'],
            'gap_relaxation_converged': outcome['converged'],
        })
        outputs[candidate_label(len(outputs))] = structure
    outputs['search'] = orm.Dict({
        'unit': unit.value,
        'n_units': n_units.value,
        'n_evaluations': result.n_evaluations,
        'n_merged_equivalent': result.n_merged_equivalent,
        'search_space_size': result.search_space_size,
        'n_candidates': len(outputs),
        'candidate_energies_eV': [candidate.energy for candidate in result.candidates
                                  if np.isfinite(candidate.energy)],
        'history': [
            {'generation': record.generation, 'lowest_energy_eV': _finite_or_none(record.lowest_energy),
             'mean_energy_eV': _finite_or_none(record.mean_energy), 'n_new_candidates': record.n_new_candidates,
             'n_evaluations': record.n_evaluations}
            for record in result.history
        ],
    })
    return outputs
