"""Genetic-algorithm search for which Li2S or P2S5 units to remove from a parent supercell.

The composition sweep of H. Guo, Q. Wang, A. Urban, N. Artrith, Chem. Mater. (2022),
doi:10.1021/acs.chemmater.2c00267 (Methods, "Genetic Algorithm Sampling"), following N. Artrith,
A. Urban, G. Ceder, J. Chem. Phys. 148, 241711 (2018), doi:10.1063/1.5017661, moves along the
(Li2S)_x(P2S5)_(1-x) line by removing whole units from a parent crystal supercell: 2 Li + 1 S (one Li2S)
or 2 P + 5 S (one P2S5) per step. A GA (population 32, mutation rate 10 %) looks for the removal with
the lowest energy from an ML potential; the best candidates go to DFT, and the relaxed best becomes the
next parent.

Genome: the sorted array of parent-atom indices to remove, with exactly ``n_units`` times the unit's
count of each species (e.g. 2k Li and k S). Every operator keeps these counts exact:

- initial candidates draw the required number of atoms of each species uniformly without replacement;
- crossover keeps, per species, the atoms both parents remove and fills up to the exact count with a
  uniform draw from the atoms only one parent removes;
- mutation (applied to an offspring with probability ``mutation_rate``) swaps one removed atom for a
  kept atom of the same species;
- parents are chosen by tournament selection; the next population is the ``population_size`` lowest
  energies among the current population and its offspring (elitist (mu + lambda) replacement).

Each distinct removal set is evaluated once (fitness = the caller's ``energy(atoms)`` in eV, which may
relax the structure). Optionally, removal sets that are equivalent by a symmetry of the parent are
evaluated once too: two sets are taken as equivalent when their fingerprints agree. The fingerprint
describes every removed atom by its species and the sorted list of (species, removed or not,
minimum-image distance rounded to ``fingerprint_resolution``) of all other parent atoms, and sorts these
descriptions. Symmetry-equivalent sets always have equal fingerprints; the converse is not guaranteed
(two inequivalent sets whose removed atoms have identical distance lists would be merged), so switch the
merging off with ``merge_symmetry_equivalent=False`` when such lattice degeneracies matter.

Why not ase-ga (https://pypi.org/project/ase-ga, the former ``ase.ga``): its ``Population`` classes read
and write candidates through a ``DataConnection`` to an SQLite database (state on disk, which this
package keeps in AiiDA instead), its individuals are ``Atoms`` with a fixed composition, and its
offspring operators act on atomic positions (cut-and-splice, rattle, permutation of species over
sites, strain) or on compositions by the periodic table (element mutations) - none of them acts on a
set of atoms to remove under per-species count constraints. Its random numbers default to the global
``np.random`` state. The few operators needed here are pure numpy on index arrays.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers as ATOMIC_NUMBER_OF

__all__ = (
    'REMOVAL_UNITS',
    'GenerationRecord',
    'GeneticSettings',
    'RemovalCandidate',
    'RemovalSearchResult',
    'crossover_removals',
    'mutate_removal',
    'random_removal',
    'removal_counts',
    'removal_fingerprint',
    'remove_atoms',
    'search_removals',
)

REMOVAL_UNITS = {'Li2S': {'Li': 2, 'S': 1}, 'P2S5': {'P': 2, 'S': 5}}
"""Atoms per removed formula unit, by unit name."""


@dataclass(frozen=True)
class GeneticSettings:
    """Settings of the removal GA (defaults: population and mutation rate of Guo et al. 2022).

    :param population_size: candidates kept per generation, and offspring made per generation.
    :param mutation_rate: probability that an offspring gets one swap mutation after crossover.
    :param n_generations: maximum number of generations after the initial population.
    :param max_stagnant_generations: stop when the lowest energy has not dropped for this many generations.
    :param tournament_size: candidates drawn per tournament when choosing a parent.
    :param n_best: number of ranked candidates returned.
    :param merge_symmetry_equivalent: evaluate symmetry-equivalent removal sets once (fingerprint).
    :param fingerprint_resolution: distance bin of the fingerprint, Angstrom.
    :param max_attempts_per_child: draws allowed per wanted new candidate before a generation stops early
        (all offspring were duplicates: the reachable search space is exhausted).
    """

    population_size: int = 32
    mutation_rate: float = 0.10
    n_generations: int = 50
    max_stagnant_generations: int = 10
    tournament_size: int = 3
    n_best: int = 10
    merge_symmetry_equivalent: bool = True
    fingerprint_resolution: float = 0.01
    max_attempts_per_child: int = 50

    def __post_init__(self):
        if self.population_size < 2 or self.tournament_size < 1 or self.n_best < 1:
            raise ValueError('population_size must be >= 2, tournament_size and n_best >= 1.')
        if not 0.0 <= self.mutation_rate <= 1.0:
            raise ValueError(f'mutation_rate = {self.mutation_rate} must be a probability in [0, 1].')


@dataclass(frozen=True)
class RemovalCandidate:
    """One evaluated removal.

    :param removed_indices: sorted indices of the removed atoms in the parent, shape (n_removed,).
    :param energy: energy returned by the caller's ``energy`` callable for the remaining structure, eV.
    """

    removed_indices: np.ndarray
    energy: float


@dataclass(frozen=True)
class GenerationRecord:
    """Progress after one generation (generation 0 is the initial population).

    :param generation: generation number.
    :param lowest_energy: lowest energy found so far, eV.
    :param mean_energy: mean energy of the population, eV.
    :param n_new_candidates: removal sets evaluated in this generation.
    :param n_evaluations: energy evaluations so far.
    """

    generation: int
    lowest_energy: float
    mean_energy: float
    n_new_candidates: int
    n_evaluations: int


@dataclass(frozen=True)
class RemovalSearchResult:
    """Outcome of :func:`search_removals`.

    :param candidates: the ``n_best`` lowest-energy distinct candidates, ascending in energy.
    :param history: one record per generation.
    :param n_evaluations: number of calls of the energy callable.
    :param n_merged_equivalent: removal sets skipped as symmetry-equivalent to an evaluated one.
    :param search_space_size: number of distinct removal sets of the parent.
    """

    candidates: list[RemovalCandidate]
    history: list[GenerationRecord]
    n_evaluations: int
    n_merged_equivalent: int
    search_space_size: int


def removal_counts(unit: str, n_units: int = 1) -> dict[int, int]:
    """Atoms to remove per atomic number for ``n_units`` units of ``unit`` ('Li2S' or 'P2S5')."""
    if unit not in REMOVAL_UNITS:
        raise ValueError(f'unknown removal unit {unit!r}; choose one of {sorted(REMOVAL_UNITS)}.')
    if n_units < 1:
        raise ValueError(f'n_units = {n_units}: remove at least one unit.')
    return {ATOMIC_NUMBER_OF[symbol]: count * n_units for symbol, count in REMOVAL_UNITS[unit].items()}


def random_removal(
    species_indices: dict[int, np.ndarray], counts: dict[int, int], rng: np.random.Generator
) -> np.ndarray:
    """A uniformly random removal set.

    :param species_indices: parent indices of each atomic number, ``{Z: array}``.
    :param counts: atoms to remove per atomic number, ``{Z: count}``.
    :param rng: random number generator.
    :return: sorted parent indices, shape (sum(counts),).
    """
    draws = [rng.choice(species_indices[number], size=count, replace=False) for number, count in counts.items()]
    return np.sort(np.concatenate(draws))


def crossover_removals(
    removal_a: np.ndarray,
    removal_b: np.ndarray,
    atomic_numbers: np.ndarray,
    counts: dict[int, int],
    rng: np.random.Generator,
) -> np.ndarray:
    """Child removal set: per species, the atoms both parents remove plus a uniform draw from the rest.

    :param removal_a: sorted parent indices removed by the first parent, shape (n_removed,).
    :param removal_b: same for the second parent, shape (n_removed,).
    :param atomic_numbers: atomic number of every parent atom, shape (n_atoms,).
    :param counts: atoms to remove per atomic number.
    :param rng: random number generator.
    :return: sorted parent indices with exactly ``counts`` atoms of each species, shape (n_removed,).
    """
    parts = []
    for number, count in counts.items():
        species_a = removal_a[atomic_numbers[removal_a] == number]
        species_b = removal_b[atomic_numbers[removal_b] == number]
        shared = np.intersect1d(species_a, species_b, assume_unique=True)
        either = np.setxor1d(species_a, species_b, assume_unique=True)
        parts += [shared, rng.choice(either, size=count - shared.size, replace=False)]
    return np.sort(np.concatenate(parts))


def mutate_removal(
    removal: np.ndarray, species_indices: dict[int, np.ndarray], atomic_numbers: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Swap one removed atom for a kept atom of the same species.

    The removed atom is drawn uniformly among those whose species has kept atoms; if no species has
    any (the parent has exactly the atoms to remove), the removal is returned unchanged.

    :param removal: sorted parent indices to remove, shape (n_removed,).
    :param species_indices: parent indices of each atomic number.
    :param atomic_numbers: atomic number of every parent atom, shape (n_atoms,).
    :param rng: random number generator.
    :return: sorted parent indices, shape (n_removed,).
    """
    removed_numbers = atomic_numbers[removal]
    swappable = [
        position
        for position, number in enumerate(removed_numbers)
        if species_indices[number].size > np.count_nonzero(removed_numbers == number)
    ]
    if not swappable:
        return removal.copy()
    position = swappable[rng.integers(len(swappable))]
    kept = np.setdiff1d(species_indices[removed_numbers[position]], removal, assume_unique=True)
    mutated = removal.copy()
    mutated[position] = rng.choice(kept)
    return np.sort(mutated)


def removal_fingerprint(
    distances: np.ndarray, atomic_numbers: np.ndarray, removal: np.ndarray, resolution: float
) -> bytes:
    """Fingerprint that is equal for removal sets related by a symmetry of the parent.

    Each removed atom is described by the sorted codes of (its Z, Z of another atom, whether that atom
    is removed too, their minimum-image distance in bins of ``resolution``) over all other atoms; the
    fingerprint is the sorted list of these per-atom descriptions.

    :param distances: minimum-image distances between all parent atoms, shape (n_atoms, n_atoms), Angstrom.
    :param atomic_numbers: atomic number of every parent atom, shape (n_atoms,).
    :param removal: parent indices to remove, shape (n_removed,).
    :param resolution: distance bin, Angstrom.
    :return: the fingerprint as bytes (hashable).
    """
    is_removed = np.zeros(distances.shape[0], dtype=np.int64)
    is_removed[removal] = 1
    distance_bin = np.rint(distances[removal] / resolution).astype(np.int64)
    pair_code = (atomic_numbers[removal, None].astype(np.int64) << 9) | (atomic_numbers[None, :] << 1) | is_removed
    codes = np.sort((pair_code << 32) | distance_bin, axis=1)  # self-pairs (distance 0) sort first in each row
    return b''.join(sorted(row.tobytes() for row in codes))


def remove_atoms(parent: Atoms, removed_indices: np.ndarray) -> Atoms:
    """Copy of ``parent`` without the atoms at ``removed_indices`` (cell, pbc and per-atom arrays kept)."""
    keep = np.ones(len(parent), dtype=bool)
    keep[removed_indices] = False
    return parent[keep]


class _CandidatePool:
    """Every removal set seen so far, with energies of the evaluated ones."""

    def __init__(self, parent: Atoms, energy: Callable[[Atoms], float], settings: GeneticSettings):
        self.parent = parent
        self.energy = energy
        self.settings = settings
        self.atomic_numbers = parent.get_atomic_numbers()
        self.distances = parent.get_all_distances(mic=True) if settings.merge_symmetry_equivalent else None
        self.seen_removals: set[bytes] = set()
        self.seen_fingerprints: set[bytes] = set()
        self.candidates: list[RemovalCandidate] = []
        self.n_merged_equivalent = 0

    def add(self, removal: np.ndarray) -> RemovalCandidate | None:
        """Evaluate ``removal`` unless it (or a symmetry-equivalent set) was seen; return the new candidate."""
        key = removal.tobytes()
        if key in self.seen_removals:
            return None
        self.seen_removals.add(key)
        if self.distances is not None:
            fingerprint = removal_fingerprint(
                self.distances, self.atomic_numbers, removal, self.settings.fingerprint_resolution
            )
            if fingerprint in self.seen_fingerprints:
                self.n_merged_equivalent += 1
                return None
            self.seen_fingerprints.add(fingerprint)
        energy = float(self.energy(remove_atoms(self.parent, removal)))
        if math.isnan(energy):
            raise ValueError(
                f'the energy callable returned NaN for removal {removal.tolist()}; return np.inf to discard a '
                'structure whose relaxation failed.'
            )
        candidate = RemovalCandidate(removed_indices=removal, energy=energy)
        self.candidates.append(candidate)
        return candidate


def _fill_unique(pool: _CandidatePool, make_removal: Callable[[], np.ndarray], n_wanted: int) -> list[RemovalCandidate]:
    """New candidates from ``make_removal`` until ``n_wanted`` are found or the attempts run out."""
    new_candidates = []
    for _ in range(n_wanted * pool.settings.max_attempts_per_child):
        candidate = pool.add(make_removal())
        if candidate is not None:
            new_candidates.append(candidate)
            if len(new_candidates) == n_wanted:
                break
    return new_candidates


def _tournament(population: list[RemovalCandidate], tournament_size: int, rng: np.random.Generator) -> RemovalCandidate:
    """Lowest-energy member of a uniform draw (without replacement) from the population."""
    drawn = rng.choice(len(population), size=min(tournament_size, len(population)), replace=False)
    return population[min(drawn, key=lambda index: population[index].energy)]


def _record(generation: int, population: list[RemovalCandidate], n_new: int, pool: _CandidatePool) -> GenerationRecord:
    energies = [candidate.energy for candidate in population]
    return GenerationRecord(
        generation=generation,
        lowest_energy=min(energies),
        mean_energy=float(np.mean(energies)),
        n_new_candidates=n_new,
        n_evaluations=len(pool.candidates),
    )


def search_removals(
    parent: Atoms,
    energy: Callable[[Atoms], float],
    rng: np.random.Generator,
    unit: str = 'Li2S',
    n_units: int = 1,
    settings: GeneticSettings = GeneticSettings(),
) -> RemovalSearchResult:
    """Find the removals of ``n_units`` Li2S (or P2S5) units from ``parent`` with the lowest energy.

    :param parent: parent supercell, n_atoms atoms.
    :param energy: ``energy(atoms) -> float``, energy of a structure in eV (e.g. an ML potential after a
        short relaxation; it gets a fresh copy it may modify). Return ``np.inf`` to discard a structure.
    :param rng: random number generator; the same seed gives the same result.
    :param unit: 'Li2S' (2 Li + 1 S per unit) or 'P2S5' (2 P + 5 S per unit).
    :param n_units: number of units removed together.
    :param settings: GA settings.
    """
    counts = removal_counts(unit, n_units)
    atomic_numbers = parent.get_atomic_numbers()
    species_indices = {number: np.flatnonzero(atomic_numbers == number) for number in counts}
    for number, count in counts.items():
        if species_indices[number].size < count:
            raise ValueError(
                f'the parent has {species_indices[number].size} atoms of Z={number} but removing {n_units} {unit} '
                f'needs {count}; use a larger supercell.'
            )
    search_space_size = math.prod(math.comb(species_indices[number].size, count) for number, count in counts.items())
    pool = _CandidatePool(parent, energy, settings)

    def make_offspring() -> np.ndarray:
        child = crossover_removals(
            _tournament(population, settings.tournament_size, rng).removed_indices,
            _tournament(population, settings.tournament_size, rng).removed_indices,
            atomic_numbers,
            counts,
            rng,
        )
        if rng.random() < settings.mutation_rate:
            child = mutate_removal(child, species_indices, atomic_numbers, rng)
        return child

    population = _fill_unique(pool, lambda: random_removal(species_indices, counts, rng), settings.population_size)
    history = [_record(0, population, len(population), pool)]
    stagnant_generations = 0
    for generation in range(1, settings.n_generations + 1):
        offspring = _fill_unique(pool, make_offspring, settings.population_size)
        population = sorted(population + offspring, key=lambda candidate: candidate.energy)[: settings.population_size]
        history.append(_record(generation, population, len(offspring), pool))
        improved = history[-1].lowest_energy < history[-2].lowest_energy
        stagnant_generations = 0 if improved else stagnant_generations + 1
        if not offspring or stagnant_generations >= settings.max_stagnant_generations:
            break

    ranked = sorted(pool.candidates, key=lambda candidate: candidate.energy)
    return RemovalSearchResult(
        candidates=ranked[: settings.n_best],
        history=history,
        n_evaluations=len(pool.candidates),
        n_merged_equivalent=pool.n_merged_equivalent,
        search_space_size=search_space_size,
    )
