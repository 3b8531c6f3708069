"""Calcfunction: one LPS glass sampled by thesis Scheme 2 (§5.3) with a GAP driving the compression relaxations.

Wraps :func:`aiida_lps.sampling.glass.sample_glass`; the relaxation after the Li placement and after every
0.99 compression step is BFGS (:func:`aiida_lps.potentials.relax.relax_positions`) with the input potential,
stopped at ``fmax`` or after ``max_steps`` steps, whichever comes first.
"""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction
from ase.neighborlist import neighbor_list

from aiida_lps.data.potentials import PotentialData
from aiida_lps.potentials.relax import relax_positions
from aiida_lps.sampling.glass import sample_glass
from aiida_lps.structures.building_blocks import glass_recipe

__all__ = ('GLASS_SAMPLING_ATTRIBUTE', 'sample_glass_with_potential', 'shortest_distances')

GLASS_SAMPLING_ATTRIBUTE = 'glass_sampling'
"""Attribute of the returned StructureData: ``GlassSamplingInfo`` (seed, motif counts, densities in g/cm3, ...)
plus ``relaxation``, the summary of the BFGS relaxations, and ``shortest_distances_A``."""


def shortest_distances(atoms, cutoff: float = 4.0) -> dict:
    """Shortest periodic distance of every species pair closer than ``cutoff``, Angstrom.

    :return: ``'<a>-<b>'`` (a <= b alphabetically) -> distance, Angstrom; pairs without a distance below
        ``cutoff`` are absent.
    """
    first, second, distances = neighbor_list('ijd', atoms, cutoff)
    symbols = np.array(atoms.get_chemical_symbols())
    keys = np.array(['-'.join(sorted(pair)) for pair in zip(symbols[first], symbols[second])])
    return {str(key): float(distances[keys == key].min()) for key in np.unique(keys)}


class RecordedRelaxation:
    """``relax(atoms) -> atoms`` at fixed cell with an ASE calculator and BFGS, remembering every outcome.

    :param calculator: ASE calculator (the GAP).
    :param fmax: stop when the largest atomic force is below this, eV/Angstrom.
    :param max_steps: stop after this many BFGS steps even if ``fmax`` is not reached.
    """

    def __init__(self, calculator, fmax: float, max_steps: int):
        self.calculator = calculator
        self.fmax = fmax
        self.max_steps = max_steps
        self.outcomes = []

    def __call__(self, atoms):
        outcome = relax_positions(atoms, self.calculator, self.fmax, self.max_steps)
        self.outcomes.append(outcome)
        return outcome['atoms']

    def summary(self) -> dict:
        """Counts of relaxations and BFGS steps; energy (eV) and largest force (eV/Angstrom) of the last one."""
        last = self.outcomes[-1]
        return {
            'fmax_eV_per_A': self.fmax,
            'max_steps': self.max_steps,
            'n_relaxations': len(self.outcomes),
            'n_bfgs_steps': sum(outcome['steps'] for outcome in self.outcomes),
            'n_not_converged': sum(not outcome['converged'] for outcome in self.outcomes),
            'largest_final_max_force_eV_per_A': max(outcome['max_force'] for outcome in self.outcomes),
            'final_energy_eV': last['energy'],
            'final_max_force_eV_per_A': last['max_force'],
        }


@calcfunction
def sample_glass_with_potential(
    potential: PotentialData, composition: orm.Str | orm.Float, n_formula_units: orm.Int, seed: orm.Int,
    initial_density_g_cm3: orm.Float, target_density_g_cm3: orm.Float, scale_factor: orm.Float,
    relax_fmax_eV_per_A: orm.Float, relax_max_steps: orm.Int, motif_ratio: orm.Dict = None,
    compression_axis: orm.Int = None,
) -> orm.StructureData:
    """One glass of ``n_formula_units`` of ``composition``, compressed to ``target_density_g_cm3`` (g/cm3).

    :param composition: formula (e.g. ``Li3PS4``) or x of (Li2S)_x(P2S5)_(1-x).
    :param motif_ratio: thiophosphate -> relative number of anions; None: the ideal ratio (SPEC Table 4).
    :param seed: seed of the sampling; the same inputs give the same glass.
    :param initial_density_g_cm3: density at placement, g/cm3 (thesis 1.3).
    :param scale_factor: linear factor of each compression step (thesis 0.99).
    :param relax_fmax_eV_per_A: BFGS stops below this largest force, eV/Angstrom (thesis 3).
    :param relax_max_steps: BFGS steps per relaxation at most.
    :param compression_axis: compress only this cell vector (interfaces), None: isotropic.
    :return: the glass, with :data:`GLASS_SAMPLING_ATTRIBUTE` set.
    :raises ValueError: naming the problem when the composition cannot be built or the potential lacks a species.
    :raises RuntimeError: when the Li cannot be placed (too few Voronoi vertices: lower the initial density).
    """
    ratio = None if motif_ratio is None else motif_ratio.get_dict()
    recipe = glass_recipe(composition.value, n_formula_units.value, ratio)
    potential.check_covers([element for element, count in recipe.element_counts.items() if count])
    relax = RecordedRelaxation(potential.get_calculator(), relax_fmax_eV_per_A.value, relax_max_steps.value)
    atoms = sample_glass(
        recipe, relax, seed.value, initial_density_g_cm3=initial_density_g_cm3.value,
        target_density_g_cm3=target_density_g_cm3.value, scale_factor=scale_factor.value,
        compression_axis=None if compression_axis is None else compression_axis.value,
    )
    structure = orm.StructureData(ase=atoms)
    structure.base.attributes.set(GLASS_SAMPLING_ATTRIBUTE, {**atoms.info['glass_sampling'],
                                                             'relaxation': relax.summary(),
                                                             'shortest_distances_A': shortest_distances(atoms)})
    return structure
