"""Glass sampling of the thesis, §5.3 and Scheme 2: random motifs, Voronoi Li, stepwise compression.

1. The thiophosphate anions (and isolated S) of a :class:`~aiida_lps.structures.building_blocks.GlassRecipe`
   are rotated randomly and put on random sites of a regular grid with about twice as many sites as
   blocks (about half the sites stay empty) in a cubic cell of 1.3 g/cm3.
2. Li+ go to the centres of a k-means clustering (scikit-learn; Lloyd, IEEE Trans. Inf. Theory 28
   (1982) 129) of the vertices of the Voronoi tessellation (Qhull, Barber et al., ACM Trans. Math.
   Softw. 22 (1996) 469) of the periodic S positions, after vertices too close to P or S were dropped;
   there are exactly as many clusters as charge neutrality needs Li.
3. The cell is scaled by 0.99 and the structure relaxed by the caller's ``relax`` (GAP, BFGS, fmax
   3 eV/A in the thesis), repeatedly, until the target density (1.8 g/cm3 in the thesis, 1.68-1.88
   from experiment) is reached; the last scaling lands exactly on it. Interfaces compress along one
   axis only (§6.3).

Scaling moves the centres of the rigid units (motifs, isolated S, single Li) with the cell and keeps
each unit's internal geometry, so that the scaling itself does not compress P-S bonds; the thesis
scaled all coordinates (ASE ``set_cell(..., scale_atoms=True)``) and let the GAP relaxation restore
them. Everything random comes from ``numpy.random.default_rng(seed)``: the same seed gives the same
glass. The density (g/cm3) uses the mass of all atoms and the cell volume.
"""

from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
from ase import Atoms, units
from ase.data import atomic_masses, atomic_numbers
from ase.geometry import find_mic, get_distances
from scipy.spatial import Voronoi
from scipy.spatial.transform import Rotation
from sklearn.cluster import KMeans

from aiida_lps.structures.building_blocks import (BLOCK_ID_ARRAY, SULFIDE, TEMPLATE_POSITIONS_ARRAY, GlassRecipe,
                                                  get_building_block)

GRAMS_PER_CM3_PER_AMU_PER_ANGSTROM3 = units._amu * 1e3 / 1e-24
"""Converts a mass density in amu/Angstrom^3 to g/cm3 (1.66054)."""


@dataclass(frozen=True)
class GlassSamplingInfo:
    """What :func:`sample_glass` did; stored as a dict in ``atoms.info['glass_sampling']``.

    :param seed: seed of the random number generator.
    :param motif_counts: thiophosphate name -> number of anions.
    :param n_isolated_sulfur: isolated S atoms.
    :param n_lithium: Li+ ions.
    :param isolated_sulfur_charge: total formal charge of the isolated S (e).
    :param grid_points_per_axis: the placement grid has this many sites per axis.
    :param initial_density_g_cm3: density at placement, g/cm3.
    :param target_density_g_cm3: requested final density, g/cm3.
    :param final_density_g_cm3: density of the returned cell, g/cm3.
    :param n_compression_steps: number of scale-and-relax steps.
    :param compression_axis: cell vector index scaled alone (interfaces), or None for isotropic.
    """

    seed: int
    motif_counts: dict
    n_isolated_sulfur: int
    n_lithium: int
    isolated_sulfur_charge: int
    grid_points_per_axis: int
    initial_density_g_cm3: float
    target_density_g_cm3: float
    final_density_g_cm3: float
    n_compression_steps: int
    compression_axis: int | None


def density_g_cm3(atoms: Atoms) -> float:
    """Mass density of a periodic cell in g/cm3."""
    return atoms.get_masses().sum() / atoms.get_volume() * GRAMS_PER_CM3_PER_AMU_PER_ANGSTROM3


def _cubic_cell_length(mass_amu: float, density: float) -> float:
    return (mass_amu / (density / GRAMS_PER_CM3_PER_AMU_PER_ANGSTROM3)) ** (1.0 / 3.0)


def grid_points_per_axis(n_blocks: int) -> int:
    """Points per axis of the cubic placement grid: about 2 sites per block (half stay empty)."""
    n_points = max(1, round((2 * n_blocks) ** (1.0 / 3.0)))
    return n_points if n_points**3 >= n_blocks else n_points + 1


def _recipe_mass(recipe: GlassRecipe) -> float:
    """Total mass of the recipe's atoms, amu."""
    counts = recipe.element_counts.items()
    return float(sum(count * atomic_masses[atomic_numbers[element]] for element, count in counts))


def _block_names(recipe: GlassRecipe) -> list:
    """Names of all blocks to place, largest first (they are the hardest to fit)."""
    names = [name for name, count in recipe.motif_counts.items() for _ in range(count)]
    names += [SULFIDE] * recipe.n_isolated_sulfur
    return sorted(names, key=lambda name: -len(get_building_block(name).symbols))


def _integer_grid(values) -> np.ndarray:
    """All triples (n^3, 3) of ``values`` (length n), the first index slowest."""
    return np.stack(np.meshgrid(*[np.asarray(values)] * 3, indexing='ij'), axis=-1).reshape(-1, 3)


def _rigid_units(symbols, positions, unit_ids, template_positions) -> Atoms:
    """Atoms tagged with their unit (``BLOCK_ID_ARRAY``) and template coordinates (``TEMPLATE_POSITIONS_ARRAY``)."""
    atoms = Atoms(symbols=list(symbols), positions=positions)
    atoms.new_array(BLOCK_ID_ARRAY, np.asarray(unit_ids, dtype=int))
    atoms.new_array(TEMPLATE_POSITIONS_ARRAY, np.array(template_positions, dtype=float).reshape(-1, 3))
    return atoms


def place_building_blocks(recipe: GlassRecipe, density_g_cm3: float, rng: np.random.Generator,
                          min_block_distance: float = 3.0, max_attempts: int = 100) -> Atoms:
    """Rotate the recipe's anions randomly and put them on random sites of a cubic grid.

    At 1.3 g/cm3 with half the grid empty, adjacent sites are only 4.4-4.9 A apart, closer than two
    tetrahedra fit in arbitrary orientations. Each block therefore draws random (site, rotation)
    pairs until its atoms are ``min_block_distance`` from all blocks placed before, and after
    ``max_attempts`` draws keeps the draw that came closest (typically >= 2.4 A); the first relax
    removes what is left of the overlap.

    :param recipe: what to place (its Li are not placed here, but count for the cell size).
    :param density_g_cm3: density of the cell including the Li still to come, g/cm3.
    :param rng: the random number generator.
    :param min_block_distance: distance between atoms of different blocks that ends the draws for a
        block, Angstrom (periodic); 3.0 A is below the shortest inter-anion S-S contacts of the
        crystals (3.3-3.9 A).
    :param max_attempts: draws per block at most.
    :return: periodic cubic cell with ``atoms.arrays[BLOCK_ID_ARRAY]`` numbering the blocks.
    """
    length = _cubic_cell_length(_recipe_mass(recipe), density_g_cm3)
    names = _block_names(recipe)
    n_points = grid_points_per_axis(len(names))
    grid = (_integer_grid(range(n_points)) + 0.5) * length / n_points
    free_sites = list(range(len(grid)))
    atoms = _rigid_units([], np.zeros((0, 3)), np.zeros(0, dtype=int), np.zeros((0, 3)))
    atoms.set_cell(np.eye(3) * length)
    atoms.pbc = True
    for block_id, name in enumerate(names):
        block = get_building_block(name)
        best_distance, best_site, best_positions = -np.inf, None, None
        for _ in range(max_attempts):
            site = free_sites[rng.integers(len(free_sites))]
            positions = grid[site] + Rotation.random(rng=rng).apply(block.positions)
            if len(atoms):
                distance = get_distances(positions, atoms.positions, atoms.cell, pbc=True)[1].min()
            else:
                distance = np.inf
            if distance > best_distance:
                best_distance, best_site, best_positions = distance, site, positions
            if distance >= min_block_distance:
                break
        free_sites.remove(best_site)
        atoms += _rigid_units(block.symbols, best_positions, np.full(len(block.symbols), block_id), block.positions)
    atoms.wrap()
    return atoms


def _periodic_voronoi_vertices(points: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Vertices (n, 3), Angstrom, of the Voronoi tessellation of periodic ``points``, inside the cell."""
    shifts = _integer_grid((-1, 0, 1)) @ cell
    vertices = Voronoi((points[None, :, :] + shifts[:, None, :]).reshape(-1, 3)).vertices
    fractional = np.linalg.solve(cell.T, vertices.T).T
    return vertices[np.all((fractional >= 0) & (fractional < 1), axis=1)]


def lithium_sites(atoms: Atoms, n_lithium: int, rng: np.random.Generator, min_phosphorus_distance: float = 2.6,
                  min_sulfur_distance: float = 2.2, min_lithium_distance: float = 2.2) -> np.ndarray:
    """Li positions on Voronoi vertices of the S sublattice, spread by k-means clustering.

    The k-means centres are averages of vertices and can land next to an anion, so each centre
    (in random order) is moved to the nearest vertex that is ``min_lithium_distance`` from the Li
    placed before it; when no vertex is, to the one farthest from them.

    :param atoms: periodic cell holding the anions.
    :param n_lithium: number of Li (= number of clusters).
    :param rng: the random number generator (seeds k-means and the order of the centres).
    :param min_phosphorus_distance: vertices closer to a P are dropped, Angstrom. 2.6 A: the
        shortest Li-P distance in the crystals is 2.95 A; the vertex at the centre of a PS4
        tetrahedron sits on the P itself.
    :param min_sulfur_distance: vertices closer to an S are dropped, Angstrom. 2.2 A: just below
        the shortest Li-S distance in the crystals (2.27-2.46 A).
    :param min_lithium_distance: Li-Li distance kept where the vertices allow it, Angstrom. 2.2 A:
        below the shortest Li-Li distance in the crystals (2.5-2.97 A).
    :return: (n_lithium, 3) Cartesian positions, Angstrom, inside the cell.
    """
    symbols = np.array(atoms.get_chemical_symbols())
    vertices = _periodic_voronoi_vertices(atoms.positions[symbols == 'S'], atoms.cell.array)
    for element, min_distance in (('P', min_phosphorus_distance), ('S', min_sulfur_distance)):
        distances = get_distances(vertices, atoms.positions[symbols == element], atoms.cell, pbc=True)[1]
        vertices = vertices[distances.min(axis=1) >= min_distance]
    if len(vertices) < n_lithium:
        raise RuntimeError(f'only {len(vertices)} Voronoi vertices are {min_phosphorus_distance} A from P and '
                           f'{min_sulfur_distance} A from S, fewer than the {n_lithium} Li needed; lower the density')
    kmeans = KMeans(n_clusters=n_lithium, n_init=3, random_state=int(rng.integers(2**31 - 1))).fit(vertices)
    to_centres = get_distances(kmeans.cluster_centers_, vertices, atoms.cell, pbc=True)[1]
    nearest_lithium = np.full(len(vertices), np.inf)
    chosen = []
    for centre in rng.permutation(n_lithium):
        free = nearest_lithium >= min_lithium_distance
        if free.any():
            vertex = np.flatnonzero(free)[np.argmin(to_centres[centre, free])]
        else:
            vertex = int(np.argmax(nearest_lithium))
        chosen.append(vertex)
        distances = get_distances(vertices[vertex], vertices, atoms.cell, pbc=True)[1][0]
        nearest_lithium = np.minimum(nearest_lithium, distances)
    fractional = np.linalg.solve(atoms.cell.array.T, vertices[chosen].T).T % 1.0
    return fractional @ atoms.cell.array


def compression_densities(initial_density: float, target_density: float, scale_factor: float = 0.99,
                          n_scaled_axes: int = 3) -> np.ndarray:
    """Densities after each compression step: scale by ``scale_factor`` until the target, exactly.

    :param initial_density: g/cm3.
    :param target_density: g/cm3, not below ``initial_density``.
    :param scale_factor: linear scale factor per step (< 1).
    :param n_scaled_axes: 3 for isotropic scaling, 1 for scaling along one axis.
    :return: (n_steps,) g/cm3; the last entry is ``target_density``.
    """
    if not 0 < scale_factor < 1:
        raise ValueError(f'scale_factor must be in (0, 1), got {scale_factor}')
    if target_density < initial_density:
        raise ValueError(f'target density {target_density} g/cm3 is below the initial {initial_density} g/cm3')
    growth = scale_factor ** (-n_scaled_axes)
    n_steps = int(np.ceil(np.log(target_density / initial_density) / np.log(growth) - 1e-9))
    if n_steps == 0:
        return np.zeros(0)
    return np.append(initial_density * growth ** np.arange(1, n_steps), target_density)


def rigid_unit_offsets(atoms: Atoms):
    """Offsets of every atom from the centre of its unit, and that centre.

    Units come from ``atoms.arrays[BLOCK_ID_ARRAY]``; without it every atom is its own unit. Offsets
    are minimum-image vectors from the unit's first atom (so atoms may be wrapped), which needs every
    atom of a unit within half a cell length of that atom (true for the templates, whose first atom
    is central, in cells above ~9 A).

    :return: offsets (n_atoms, 3) and unit centres (n_atoms, 3), Angstrom.
    """
    unit_ids = atoms.arrays.get(BLOCK_ID_ARRAY, np.arange(len(atoms)))
    units, first_atom, unit_index = np.unique(unit_ids, return_index=True, return_inverse=True)
    offsets = find_mic(atoms.positions - atoms.positions[first_atom][unit_index], atoms.cell, pbc=atoms.pbc)[0]
    mean_offsets = np.zeros((len(units), 3))
    np.add.at(mean_offsets, unit_index, offsets)
    mean_offsets /= np.bincount(unit_index)[:, None]
    return offsets - mean_offsets[unit_index], (atoms.positions[first_atom] + mean_offsets)[unit_index]


def scale_rigid_units(atoms: Atoms, linear_factors) -> None:
    """Scale the cell vectors by ``linear_factors`` (3,), moving unit centres and keeping units rigid.

    Units come from ``atoms.arrays[BLOCK_ID_ARRAY]``; atoms without it are each their own unit.
    Changes ``atoms`` in place.
    """
    offsets, centres = rigid_unit_offsets(atoms)
    fractional_centres = np.linalg.solve(atoms.cell.array.T, centres.T).T
    new_cell = atoms.cell.array * np.asarray(linear_factors, dtype=float)[:, None]
    atoms.set_cell(new_cell, scale_atoms=False)
    atoms.positions = fractional_centres @ new_cell + offsets


def _relax_in_place(atoms: Atoms, relax: Callable[[Atoms], Atoms]) -> None:
    relaxed = relax(atoms.copy())
    if relaxed.get_chemical_symbols() != atoms.get_chemical_symbols():
        raise ValueError('relax changed the atoms; it must only move them')
    if not np.allclose(relaxed.cell.array, atoms.cell.array):
        raise ValueError('relax changed the cell; use a fixed-cell optimiser (the compression sets the cell)')
    atoms.positions = relaxed.positions


def compress_to_density(atoms: Atoms, relax: Callable[[Atoms], Atoms], target_density_g_cm3: float,
                        scale_factor: float = 0.99, axis: int | None = None) -> int:
    """Alternate scaling the cell by ``scale_factor`` and ``relax`` until the target density.

    :param atoms: periodic structure, changed in place.
    :param relax: ``relax(atoms) -> atoms`` at fixed cell (thesis: GAP + BFGS to fmax 3 eV/A).
    :param target_density_g_cm3: final density, g/cm3; the last step scales exactly onto it.
    :param scale_factor: linear factor per step.
    :param axis: index of the one cell vector to scale (interfaces), or None for all three.
    :return: number of scale-and-relax steps done.
    """
    axes = [0, 1, 2] if axis is None else [axis]
    densities = compression_densities(density_g_cm3(atoms), target_density_g_cm3, scale_factor, len(axes))
    for density in densities:
        factors = np.ones(3)
        factors[axes] = (density_g_cm3(atoms) / density) ** (1.0 / len(axes))
        scale_rigid_units(atoms, factors)
        _relax_in_place(atoms, relax)
    return len(densities)


def sample_glass(recipe: GlassRecipe, relax: Callable[[Atoms], Atoms], seed: int, *,
                 initial_density_g_cm3: float = 1.3, target_density_g_cm3: float = 1.8, scale_factor: float = 0.99,
                 compression_axis: int | None = None) -> Atoms:
    """Sample one glass by the protocol of thesis Scheme 2 (see the module docstring).

    :param recipe: motif counts, isolated S and Li, from
        :func:`~aiida_lps.structures.building_blocks.glass_recipe`.
    :param relax: ``relax(atoms) -> atoms`` at fixed cell, called after the Li are added and after
        every compression step. Production: the current GAP with BFGS to fmax 3 eV/A; tests and
        examples: :func:`aiida_lps.sampling.overlap_relax.relax_overlaps`.
    :param seed: seed of the random number generator; the same seed gives the same glass.
    :param initial_density_g_cm3: density at placement, g/cm3.
    :param target_density_g_cm3: final density, g/cm3.
    :param scale_factor: linear scale factor per compression step.
    :param compression_axis: compress only this cell vector (0, 1 or 2), or None for isotropic.
    :return: the glass, with a :class:`GlassSamplingInfo` dict in ``atoms.info['glass_sampling']``
        and the unit numbering in ``atoms.arrays[BLOCK_ID_ARRAY]``.
    """
    rng = np.random.default_rng(seed)
    atoms = place_building_blocks(recipe, initial_density_g_cm3, rng)
    n_lithium = recipe.n_lithium
    atoms += _rigid_units(['Li'] * n_lithium, lithium_sites(atoms, n_lithium, rng),
                          atoms.arrays[BLOCK_ID_ARRAY].max() + 1 + np.arange(n_lithium), np.zeros((n_lithium, 3)))
    _relax_in_place(atoms, relax)
    n_steps = compress_to_density(atoms, relax, target_density_g_cm3, scale_factor, compression_axis)
    atoms.wrap()
    info = GlassSamplingInfo(seed=seed, motif_counts=dict(recipe.motif_counts),
                             n_isolated_sulfur=recipe.n_isolated_sulfur, n_lithium=recipe.n_lithium,
                             isolated_sulfur_charge=recipe.isolated_sulfur_charge,
                             grid_points_per_axis=grid_points_per_axis(len(_block_names(recipe))),
                             initial_density_g_cm3=initial_density_g_cm3, target_density_g_cm3=target_density_g_cm3,
                             final_density_g_cm3=density_g_cm3(atoms), n_compression_steps=n_steps,
                             compression_axis=compression_axis)
    atoms.info['glass_sampling'] = asdict(info)
    return atoms
