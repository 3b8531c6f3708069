"""Glass/crystal interface models and their sintering schedule (thesis §6.3.1, SPEC §8).

Building (thesis: a 4x4x4 beta-Li3PS4 supercell, doubled along the normal of the exposed facet, in a
cell twice as long along that normal, the void filled with sampled glass compressed along the normal
only, about 3000 atoms):

1. Slab. :func:`ase.build.surface` gives the surface cell of the facet (h k l): in-plane lattice
   vectors a1 (along x) and a2 (in the xy plane), and the normal along z. The crystal is cut into
   rigid units, the connected components of P-S and P-P bonds (``bond_cutoff``): PS4^3-, P2S7^4-,
   P2S6^4-, isolated S, and every Li on its own. A unit is kept whole and belongs to the slab when
   its centre lies in a window of 2 x ``n_normal`` layers along the normal, so no thiophosphate is
   cut and the slab holds exactly 2 x n_normal x n_1 x n_2 surface cells' worth of every unit (the
   crystal's composition, as neutral as the crystal). The window starts in the middle of the widest
   gap between unit centres (modulo the layer spacing), so the surfaces run between layers of units.
2. Glass. Its formula units are those that fill the void (thickness of the slab, the slab's
   in-plane cell) closest to the target density. The thesis protocol (Scheme 2,
   :func:`aiida_lps.sampling.glass.sample_glass`: random anions on a grid, Li on clustered Voronoi
   vertices, relax) places it in a cube at the initial density (1.3 g/cm3); its rigid units are moved
   by their fractional centres into a box with the slab's in-plane cell at the same density and
   relaxed, and that box is compressed along the normal only (scale 0.99 and relax, repeatedly) until
   the target density (1.8 g/cm3) is met exactly; the void height is that of the compressed box.
   (``sample_glass`` places into a cube only, hence the change of shape at the low density, where
   there is room for it; its own ``compression_axis`` then has nothing left to do.)
3. Assembly. The glass goes above the slab, units whole, the cell height being slab plus glass, and
   the whole interface is relaxed once more by the caller's ``relax`` (thesis: the GAP; tests: the
   overlap cleaner of :mod:`aiida_lps.sampling.overlap_relax`) to remove the contacts at the two new
   crystal/glass faces.

Sintering (thesis Fig. 29): NVT throughout; heat in 100 K steps from the start temperature to the
maximum (1000 K, below the melting of the crystal), each step held equally long, then cool in 100 K
steps down to the final temperature, each cooling step 1.5 times as long as the one before (about
150 ps in all). The thesis does not give the individual step lengths; :func:`sintering_schedule`
takes them as inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from ase import Atoms
from ase.build import surface
from ase.data import atomic_masses, atomic_numbers
from ase.neighborlist import neighbor_list
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from aiida_lps.sampling.glass import (
    GRAMS_PER_CM3_PER_AMU_PER_ANGSTROM3,
    compress_to_density,
    density_g_cm3,
    rigid_unit_offsets,
    sample_glass,
)
from aiida_lps.structures.building_blocks import (
    BLOCK_ID_ARRAY,
    TEMPLATE_POSITIONS_ARRAY,
    formula_unit_counts,
    glass_recipe,
)

__all__ = (
    'INTERFACE_PART_ARRAY',
    'MIN_DISTANCE_A',
    'NORMAL_AXIS',
    'THESIS_FACETS',
    'InterfaceInfo',
    'SinteringStep',
    'build_interface',
    'crystal_slab',
    'glass_formula_units',
    'rigid_crystal_units',
    'sample_void_glass',
    'sintering_schedule',
)

THESIS_FACETS = ((1, 0, 0), (0, 1, 0), (0, 0, 1), (-1, 1, 0))
"""The facets of beta-Li3PS4 the thesis studied (§6.3); (-110) is the one seen in glass-ceramics."""
NORMAL_AXIS = 2
"""Index of the cell vector along the interface normal (z) in every structure built here."""
INTERFACE_PART_ARRAY = 'interface_part'
"""Per-atom integer array of a built interface: 0 for atoms of the crystal slab, 1 for the glass."""
CRYSTAL_PART, GLASS_PART = 0, 1
MIN_DISTANCE_A = 1.5
"""Shortest interatomic distance accepted as physical in LPS, Angstrom (the shortest bonds, P-S, are about 2 A)."""
_BONDED_SPECIES = ('P', 'S')
_ROUND_OFF = 1e-9


@dataclass(frozen=True)
class InterfaceInfo:
    """What :func:`build_interface` built; stored as a dict in ``atoms.info['interface']``.

    :param miller_index: facet (h, k, l) of the crystal facing the glass.
    :param repetitions: (n_1, n_2, n_normal) surface cells; the slab has 2 x n_normal layers.
    :param layer_spacing_A: thickness of one surface cell along the normal, Angstrom.
    :param crystal_thickness_A: height of the slab's window of unit centres (2 n_normal layers), Angstrom.
    :param glass_thickness_A: height of the glass box (the void), Angstrom.
    :param crystal_counts: element -> atoms in the slab.
    :param glass_counts: element -> atoms in the glass.
    :param glass_composition: composition of the glass as given to :func:`glass_recipe`.
    :param glass_formula_units: formula units of glass.
    :param glass_density_g_cm3: density of the glass in its box, g/cm3 (equal to the target).
    :param crystal_density_g_cm3: density of the bulk crystal, g/cm3.
    :param total_density_g_cm3: density of the whole interface cell, g/cm3.
    :param seed: seed of the glass sampling.
    :param glass_compression_steps: scale-and-relax steps of the glass along the normal.
    :param glass_sampling: the glass's ``GlassSamplingInfo`` as a dict (of its placement in the cube at
        the initial density, before the change of shape and the compression along the normal).
    """

    miller_index: tuple
    repetitions: tuple
    layer_spacing_A: float
    crystal_thickness_A: float
    glass_thickness_A: float
    crystal_counts: dict
    glass_counts: dict
    glass_composition: str
    glass_formula_units: int
    glass_density_g_cm3: float
    crystal_density_g_cm3: float
    total_density_g_cm3: float
    seed: int
    glass_compression_steps: int
    glass_sampling: dict


def _element_counts(atoms: Atoms) -> dict:
    symbols, counts = np.unique(atoms.get_chemical_symbols(), return_counts=True)
    return {str(symbol): int(count) for symbol, count in zip(symbols, counts)}


def rigid_crystal_units(atoms: Atoms, bond_cutoff: float = 2.5) -> np.ndarray:
    """Unit number of every atom: connected components of P-S and P-P bonds; Li and lone S alone.

    :param atoms: structure with its periodicity in ``atoms.pbc`` (bonds across a non-periodic face
        are not made).
    :param bond_cutoff: largest P-S / P-P bond, Angstrom; 2.5 lies between the longest bridging P-S
        (2.2) and P-P bonds (2.3) and the shortest non-bonded S-S contact (3.3) of the LPS crystals.
        S-S pairs are never bonded (no LPS phase here has an S-S bond).
    :return: (n_atoms,) integer unit ids 0, 1, ... (scipy's connected-component labels).
    """
    symbols = np.array(atoms.get_chemical_symbols())
    first, second = neighbor_list('ij', atoms, bond_cutoff)
    bonded = (
        np.isin(symbols[first], _BONDED_SPECIES)
        & np.isin(symbols[second], _BONDED_SPECIES)
        & ~((symbols[first] == 'S') & (symbols[second] == 'S'))
    )
    graph = coo_matrix((np.ones(bonded.sum()), (first[bonded], second[bonded])), shape=(len(atoms),) * 2)
    return connected_components(graph, directed=False)[1]


def _window_start(centre_heights: np.ndarray, layer_spacing: float) -> float:
    """A height in [layer_spacing, 2 layer_spacing) in the middle of the widest gap between unit centres
    (taken modulo the layer spacing), so that a window starting there cuts between layers of units.

    Only the centres in the second layer count: they belong to complete units, unlike the fragments of
    units cut at the faces of the thick slab.
    """
    second_layer = (centre_heights >= layer_spacing) & (centre_heights < 2 * layer_spacing)
    phases = np.sort(centre_heights[second_layer] - layer_spacing)
    gaps = np.diff(np.append(phases, phases[0] + layer_spacing))
    widest = int(np.argmax(gaps))
    return layer_spacing + np.mod(phases[widest] + 0.5 * gaps[widest], layer_spacing)


def crystal_slab(crystal: Atoms, miller_index: Sequence[int], repetitions: Sequence[int], *,
                 bond_cutoff: float = 2.5) -> Atoms:
    """A slab of whole rigid units, 2 x n_normal layers thick, normal along z (module docstring, step 1).

    :param crystal: conventional cell of the bulk crystal (Angstrom).
    :param miller_index: facet (h, k, l) of the conventional cell, e.g. (0, 1, 0) or (-1, 1, 0).
    :param repetitions: (n_1, n_2, n_normal): surface cells along the two in-plane vectors of
        :func:`ase.build.surface` and along the normal; the slab is doubled along the normal.
    :param bond_cutoff: see :func:`rigid_crystal_units`, Angstrom.
    :return: Atoms with cell [a1, a2, (0, 0, thickness)], unit centres at heights in
        [0, thickness), units whole (atoms may reach past 0 and thickness); arrays
        ``BLOCK_ID_ARRAY`` and ``TEMPLATE_POSITIONS_ARRAY`` (each atom's offset from its unit centre,
        Angstrom); ``info['layer_spacing_A']``.
    """
    n_1, n_2, n_normal = (int(value) for value in repetitions)
    if min(n_1, n_2, n_normal) < 1:
        raise ValueError(f'repetitions must be three positive integers, got {tuple(repetitions)}')
    n_layers = 2 * n_normal
    # one spare layer on each side, so every unit of the window is complete in the thick slab
    thick = surface(crystal, tuple(int(index) for index in miller_index), n_layers + 2, periodic=True)
    thick = thick.repeat((n_1, n_2, 1))
    thick.pbc = (True, True, False)
    layer_spacing = thick.cell[NORMAL_AXIS, NORMAL_AXIS] / (n_layers + 2)
    thick.new_array(BLOCK_ID_ARRAY, rigid_crystal_units(thick, bond_cutoff))
    offsets, centres = rigid_unit_offsets(thick)
    start = _window_start(centres[:, NORMAL_AXIS], layer_spacing)
    keep = (centres[:, NORMAL_AXIS] >= start) & (centres[:, NORMAL_AXIS] < start + n_layers * layer_spacing)
    positions = centres[keep] + offsets[keep] - [0.0, 0.0, start]
    slab = Atoms(np.array(thick.get_chemical_symbols())[keep], positions=positions, pbc=True,
                 cell=[thick.cell[0], thick.cell[1], [0.0, 0.0, n_layers * layer_spacing]])
    slab.new_array(BLOCK_ID_ARRAY, np.unique(thick.arrays[BLOCK_ID_ARRAY][keep], return_inverse=True)[1])
    slab.new_array(TEMPLATE_POSITIONS_ARRAY, offsets[keep])
    slab.info['layer_spacing_A'] = float(layer_spacing)
    expected = {element: count * n_1 * n_2 * n_layers for element, count in _element_counts(crystal).items()}
    if _element_counts(slab) != expected:
        raise RuntimeError(f'the slab holds {_element_counts(slab)} instead of {expected}: a unit spans more than '
                           f'one layer; check bond_cutoff ({bond_cutoff} A) for this crystal')
    return slab


def _formula_unit_mass(composition) -> float:
    """Mass of one formula unit of ``composition`` (x or a formula, see ``formula_unit_counts``), amu."""
    counts = formula_unit_counts(composition)
    return float(sum(float(count) * atomic_masses[atomic_numbers[element]] for element, count in counts.items()))


def glass_formula_units(composition, void_volume_A3: float, target_density_g_cm3: float,
                        motif_ratio: dict | None = None) -> int:
    """The number of formula units, buildable by :func:`glass_recipe`, that fills a void closest to a density.

    :param composition: ``x`` of (Li2S)_x(P2S5)_(1-x) or a formula such as ``'Li3PS4'``.
    :param void_volume_A3: volume to fill, Angstrom^3.
    :param target_density_g_cm3: density to approach, g/cm3.
    :param motif_ratio: as for :func:`glass_recipe`.
    :raises ValueError: if no number of formula units up to twice the ideal one can be built.
    """
    void_mass = target_density_g_cm3 / GRAMS_PER_CM3_PER_AMU_PER_ANGSTROM3 * void_volume_A3
    ideal = void_mass / _formula_unit_mass(composition)
    for count in sorted(range(1, int(np.ceil(2 * ideal)) + 2), key=lambda n: (abs(n - ideal), n)):
        try:
            glass_recipe(composition, count, motif_ratio)
        except ValueError:
            continue
        return count
    raise ValueError(f'no number of formula units of {composition} near {ideal:.1f} can be built with the motif '
                     f'ratio {motif_ratio}; enlarge the slab (repetitions) or change the motif ratio')


def _move_units_to_cell(atoms: Atoms, cell: np.ndarray) -> None:
    """Give ``atoms`` the cell ``cell`` (3, 3), moving each rigid unit by its fractional centre (in place)."""
    offsets, centres = rigid_unit_offsets(atoms)
    fractional_centres = np.linalg.solve(atoms.cell.array.T, centres.T).T
    atoms.set_cell(cell, scale_atoms=False)
    atoms.positions = fractional_centres @ np.asarray(cell) + offsets


def _relaxed(atoms: Atoms, relax: Callable[[Atoms], Atoms]) -> Atoms:
    """``relax(atoms)`` after checking that it moved the atoms only."""
    relaxed = relax(atoms.copy())
    if relaxed.get_chemical_symbols() != atoms.get_chemical_symbols() or not np.allclose(relaxed.cell, atoms.cell):
        raise ValueError('relax changed the atoms or the cell; it must only move the atoms')
    return relaxed


def sample_void_glass(recipe, in_plane_cell, relax: Callable[[Atoms], Atoms], seed: int, *,
                      initial_density_g_cm3: float = 1.3, target_density_g_cm3: float = 1.8,
                      scale_factor: float = 0.99) -> Atoms:
    """A glass with a given in-plane cell, compressed along the normal only (module docstring, step 2).

    :param recipe: the glass's :class:`~aiida_lps.structures.building_blocks.GlassRecipe`.
    :param in_plane_cell: the two in-plane cell vectors, shape (2, 3), Angstrom, both with zero z.
    :param relax: ``relax(atoms) -> atoms`` at fixed cell, as for ``sample_glass``.
    :param seed: seed of the glass sampling.
    :param initial_density_g_cm3: density of the placement and of the change of shape, g/cm3.
    :param target_density_g_cm3: final density, g/cm3.
    :param scale_factor: linear factor of one compression step along the normal.
    :return: the glass in the cell [a1, a2, (0, 0, height)] at exactly the target density, with the
        arrays and ``info['glass_sampling']`` of ``sample_glass`` and the number of compression steps
        in ``info['normal_compression_steps']``.
    """
    in_plane_cell = np.asarray(in_plane_cell, dtype=float)
    if in_plane_cell.shape != (2, 3) or np.any(in_plane_cell[:, NORMAL_AXIS] != 0.0):
        raise ValueError(f'in_plane_cell must be two vectors in the xy plane, shape (2, 3); got {in_plane_cell}')
    # a target a round-off above the placement density: sample_glass places, relaxes and does not compress
    glass = sample_glass(recipe, relax, seed, initial_density_g_cm3=initial_density_g_cm3,
                         target_density_g_cm3=initial_density_g_cm3 * (1.0 + _ROUND_OFF))
    area = np.linalg.norm(np.cross(*in_plane_cell))
    height = glass.get_volume() / area
    _move_units_to_cell(glass, np.vstack([in_plane_cell, [0.0, 0.0, height]]))
    glass.positions = _relaxed(glass, relax).positions
    n_steps = compress_to_density(glass, relax, target_density_g_cm3, scale_factor, axis=NORMAL_AXIS)
    glass.info['normal_compression_steps'] = n_steps
    return glass


def _whole_units_in_box(atoms: Atoms) -> np.ndarray:
    """Positions (n_atoms, 3), Angstrom, with every rigid unit whole and its centre inside the cell."""
    offsets, centres = rigid_unit_offsets(atoms)
    fractional = np.mod(np.linalg.solve(atoms.cell.array.T, centres.T).T, 1.0)
    return fractional @ atoms.cell.array + offsets


def _check_no_collapse(atoms: Atoms, min_distance_A: float, stage: str) -> None:
    """Raise if two atoms are closer than ``min_distance_A`` (Angstrom): the relaxation merged them."""
    first, second, distances = neighbor_list('ijd', atoms, min_distance_A)
    if len(distances):
        closest = int(np.argmin(distances))
        i, j = int(first[closest]), int(second[closest])
        raise RuntimeError(
            f'after the {stage} relaxation atoms {i} ({atoms[i].symbol}) and {j} ({atoms[j].symbol}) are '
            f'{distances[closest]:.2f} A apart (< {min_distance_A} A) and {len(distances) // 2} pairs are too close: '
            'the relaxation collapsed the structure, as a potential without short-range repulsion does; retrain it '
            'with close contacts or relax with the overlap cleaner'
        )


def _check_interface(slab: Atoms, glass: Atoms, recipe, target_density: float) -> None:
    """The parts have the counts they must have, the glass is neutral and at the target density."""
    if recipe.total_charge != 0:
        raise RuntimeError(f'the glass recipe carries a formal charge of {recipe.total_charge} e')
    expected = {element: count for element, count in recipe.element_counts.items() if count}
    if _element_counts(glass) != expected:
        raise RuntimeError(f'the glass holds {_element_counts(glass)} instead of {expected}')
    if not np.isclose(density_g_cm3(glass), target_density, rtol=1e-9):
        raise RuntimeError(f'the glass density is {density_g_cm3(glass)} g/cm3 instead of {target_density}')
    if not np.allclose(glass.cell[:2], slab.cell[:2]):
        raise RuntimeError('the glass and the slab have different in-plane cells')


def build_interface(crystal: Atoms, miller_index: Sequence[int], repetitions: Sequence[int],
                    relax: Callable[[Atoms], Atoms], seed: int, *, glass_composition='Li3PS4',
                    glass_motif_ratio: dict | None = None, initial_density_g_cm3: float = 1.3,
                    target_density_g_cm3: float = 1.8, scale_factor: float = 0.99, bond_cutoff: float = 2.5,
                    min_distance_A: float = MIN_DISTANCE_A) -> Atoms:
    """A periodic crystal | glass interface with its normal along z (module docstring).

    :param crystal: conventional cell of the crystal (Angstrom), e.g. ``get_crystal('beta-Li3PS4')``.
    :param miller_index: facet (h, k, l) facing the glass; the thesis used :data:`THESIS_FACETS`.
    :param repetitions: (n_1, n_2, n_normal) surface cells, see :func:`crystal_slab` (thesis (4, 4, 4)).
    :param relax: ``relax(atoms) -> atoms`` at fixed cell for the glass sampling and the assembled
        interface (thesis: the GAP with BFGS to fmax 3 eV/A).
    :param seed: seed of the glass sampling.
    :param glass_composition: ``x`` or a formula of the glass (default: that of beta-Li3PS4).
    :param glass_motif_ratio: thiophosphate ratio of the glass, see :func:`glass_recipe`.
    :param initial_density_g_cm3: density of the glass placement, g/cm3.
    :param target_density_g_cm3: density of the glass in the void, g/cm3.
    :param scale_factor: linear factor of one compression step.
    :param bond_cutoff: P-S / P-P bond cutoff of the crystal's units, Angstrom.
    :param min_distance_A: shortest distance allowed after the glass sampling and the final relaxation,
        Angstrom; the shortest bonds of LPS (P-S) are about 2 A.
    :raises RuntimeError: if a relaxation brought atoms closer than ``min_distance_A``.
    :return: the interface: slab at heights [0, crystal_thickness), glass above it; arrays
        ``INTERFACE_PART_ARRAY``, ``BLOCK_ID_ARRAY``, ``TEMPLATE_POSITIONS_ARRAY``; an
        :class:`InterfaceInfo` dict in ``info['interface']``.
    """
    slab = crystal_slab(crystal, miller_index, repetitions, bond_cutoff=bond_cutoff)
    void_volume = slab.get_volume()
    n_formula_units = glass_formula_units(glass_composition, void_volume, target_density_g_cm3, glass_motif_ratio)
    recipe = glass_recipe(glass_composition, n_formula_units, glass_motif_ratio)
    glass = sample_void_glass(recipe, slab.cell[:2], relax, seed, initial_density_g_cm3=initial_density_g_cm3,
                              target_density_g_cm3=target_density_g_cm3, scale_factor=scale_factor)
    _check_no_collapse(glass, min_distance_A, 'glass sampling')
    _check_interface(slab, glass, recipe, target_density_g_cm3)
    crystal_thickness = slab.cell[NORMAL_AXIS, NORMAL_AXIS]
    glass_thickness = glass.cell[NORMAL_AXIS, NORMAL_AXIS]

    placed_glass = Atoms(glass.get_chemical_symbols(), positions=_whole_units_in_box(glass) + [0, 0, crystal_thickness])
    placed_glass.new_array(BLOCK_ID_ARRAY, glass.arrays[BLOCK_ID_ARRAY] + slab.arrays[BLOCK_ID_ARRAY].max() + 1)
    placed_glass.new_array(TEMPLATE_POSITIONS_ARRAY, glass.arrays[TEMPLATE_POSITIONS_ARRAY])
    interface = slab.copy()
    interface.info = {}
    interface.set_cell([slab.cell[0], slab.cell[1], [0.0, 0.0, crystal_thickness + glass_thickness]])
    interface += placed_glass
    interface.new_array(INTERFACE_PART_ARRAY, np.repeat([CRYSTAL_PART, GLASS_PART], [len(slab), len(glass)]))
    interface.positions = _relaxed(interface, relax).positions
    _check_no_collapse(interface, min_distance_A, 'interface')
    interface.wrap()
    info = InterfaceInfo(
        miller_index=tuple(int(index) for index in miller_index),
        repetitions=tuple(int(value) for value in repetitions),
        layer_spacing_A=slab.info['layer_spacing_A'],
        crystal_thickness_A=float(crystal_thickness),
        glass_thickness_A=float(glass_thickness),
        crystal_counts=_element_counts(slab),
        glass_counts=_element_counts(glass),
        glass_composition=str(glass_composition),
        glass_formula_units=n_formula_units,
        glass_density_g_cm3=float(density_g_cm3(glass)),
        crystal_density_g_cm3=float(density_g_cm3(crystal)),
        total_density_g_cm3=float(density_g_cm3(interface)),
        seed=int(seed),
        glass_compression_steps=int(glass.info['normal_compression_steps']),
        glass_sampling={key: float(value) if isinstance(value, np.floating) else value
                        for key, value in glass.info['glass_sampling'].items()},
    )
    interface.info['interface'] = asdict(info)
    return interface


@dataclass(frozen=True)
class SinteringStep:
    """One NVT stage of the sintering schedule.

    :param temperature_K: thermostat temperature, K.
    :param duration_ps: length of the stage, ps.
    """

    temperature_K: float
    duration_ps: float


def _temperature_ladder(start_K: float, stop_K: float, step_K: float) -> np.ndarray:
    """start, start +- step, ..., stop (K); the distance must be a whole number of steps."""
    n_steps = abs(stop_K - start_K) / step_K
    if abs(n_steps - round(n_steps)) > 1e-9:
        raise ValueError(f'{start_K} K to {stop_K} K is not a whole number of {step_K} K steps; '
                         'choose temperatures on the ladder')
    return start_K + np.sign(stop_K - start_K) * step_K * np.arange(round(n_steps) + 1)


def sintering_schedule(start_temperature_K: float, max_temperature_K: float, final_temperature_K: float, *,
                       heating_step_ps: float, first_cooling_step_ps: float, temperature_step_K: float = 100.0,
                       cooling_time_factor: float = 1.5) -> list[SinteringStep]:
    """Step-wise heating to a maximum, then step-wise cooling with growing times (thesis Fig. 29).

    Heating holds start, start + step, ..., max for ``heating_step_ps`` each; cooling holds
    max - step, ..., final with the k-th cooling step (k = 0, 1, ...) lasting
    ``first_cooling_step_ps`` x ``cooling_time_factor``^k. The thesis: 300 -> 1000 -> 300 K in
    100 K steps, factor 1.5, about 150 ps in all (e.g. 5 ps heating steps and a first cooling step of
    3.5 ps give 152.6 ps).

    :param start_temperature_K: first temperature, K.
    :param max_temperature_K: highest temperature, K; a whole number of steps above the start.
    :param final_temperature_K: last temperature, K; a whole number of steps below the maximum.
    :param heating_step_ps: duration of every heating step, ps.
    :param first_cooling_step_ps: duration of the first cooling step, ps.
    :param temperature_step_K: temperature change between steps, K.
    :param cooling_time_factor: ratio of the duration of a cooling step to that of the one before.
    :return: the steps in order, heating then cooling.
    """
    if not 0 < start_temperature_K < max_temperature_K or not 0 < final_temperature_K < max_temperature_K:
        raise ValueError(f'need positive start ({start_temperature_K} K) and final ({final_temperature_K} K) '
                         f'temperatures below the maximum ({max_temperature_K} K)')
    if min(heating_step_ps, first_cooling_step_ps, temperature_step_K, cooling_time_factor) <= 0:
        raise ValueError('step durations, the temperature step and the cooling time factor must be positive')
    heating = _temperature_ladder(start_temperature_K, max_temperature_K, temperature_step_K)
    cooling = _temperature_ladder(max_temperature_K, final_temperature_K, temperature_step_K)[1:]
    return [SinteringStep(float(temperature), float(heating_step_ps)) for temperature in heating] + [
        SinteringStep(float(temperature), float(first_cooling_step_ps * cooling_time_factor**index))
        for index, temperature in enumerate(cooling)
    ]
