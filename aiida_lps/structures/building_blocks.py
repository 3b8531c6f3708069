"""Rigid thiophosphate building blocks and the motif recipe of a Li2S-P2S5 glass.

The glass sampling of the thesis (§5.3, Scheme 2) assembles a glass from the thiophosphate anions
that the stoichiometry demands, plus Li+ counter ions for charge neutrality. This module holds

- rigid templates of the anions (``PS4^3-``, ``P2S7^4-``, ``P2S6^4-``, ``P2S6^2-``) and of the
  isolated sulfide ``S^2-``, each with its formal charge, centred on their centroid;
- :func:`glass_recipe`, which turns a composition (``x`` of (Li2S)_x(P2S5)_(1-x) or a formula),
  a motif ratio and a number of formula units into motif counts, isolated S and Li, refusing
  combinations that cannot be built.

Geometries (Angstrom, degrees), and where the numbers come from:

- ``PS4^3-``: regular tetrahedron, P-S 2.05. beta-Li3PS4 has P-S 2.03-2.06 (Homma et al., Solid
  State Ionics 182 (2011) 53); the PBE-relaxed beta cell used as test reference has 2.04-2.10.
- ``P2S7^4-``: two corner-sharing tetrahedra, terminal P-S 2.03, bridging P-S 2.15, P-S-P 118
  (P...P 3.69). The PBE-relaxed Li7P3S11 reference cell (P-1, Yamane et al., Solid State Ionics
  178 (2007) 1163) has terminal 2.01-2.05, bridging 2.16-2.20 and P...P 3.73 (P-S-P 117.6); the
  bridging length is taken ~1 % shorter because PBE overestimates P-S bonds by about that much.
- ``P2S6^4-``: ethane-like, staggered (D3d), P-P 2.26, P-S 2.04, S-P-P 104.7: the anion in
  P-31m Li4P2S6 (a = 6.106, c = 6.615 A, P 2e z = 0.1715, S 6k (0.3237, 0, 0.25); structure type
  of Mercier et al., J. Solid State Chem. 43 (1982) 151). The thesis (§5.4) likewise extracts the
  anion from the Li4P2S6 crystal.
- ``P2S6^2-``: two edge-sharing tetrahedra (planar P2S2 ring), bridging P-S 2.14, terminal P-S
  1.97, S-P-S in the ring 94 (P...P 2.92), terminal S-P-S 116. Approximate values following the
  usual pattern (terminal bonds of a P with two terminal S shorter than in PS4^3-, bonds in a
  four-membered ring longer); not refined against one crystal structure. The unit is that of
  Li2P2S6 (Dietrich et al., Inorg. Chem. 2017, doi:10.1021/acs.inorgchem.7b00751).
"""

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from ase import Atoms
from ase.formula import Formula

ORTHO = 'PS4^3-'
PYRO = 'P2S7^4-'
HYPO = 'P2S6^4-'
META = 'P2S6^2-'
SULFIDE = 'S^2-'
BLOCK_ID_ARRAY = 'building_block_id'
"""Name of the per-atom integer array (``atoms.arrays``) telling which rigid unit an atom belongs to."""
TEMPLATE_POSITIONS_ARRAY = 'building_block_template_positions'
"""Name of the per-atom (n_atoms, 3) array of each atom's position in its unit's template, Angstrom."""

LITHIUM_CHARGE = 1
SULFIDE_CHARGE = -2
TETRAHEDRAL_ANGLE = np.degrees(np.arccos(-1.0 / 3.0))


@dataclass(frozen=True)
class BuildingBlock:
    """A rigid anion: symbols, Cartesian positions about its centroid and formal charge.

    :param name: ion label, e.g. ``'PS4^3-'``.
    :param symbols: chemical symbols, length n_atoms.
    :param positions: (n_atoms, 3) Angstrom, centroid at the origin.
    :param charge: formal charge in units of e.
    """

    name: str
    symbols: tuple
    positions: np.ndarray
    charge: int

    @property
    def n_phosphorus(self) -> int:
        return self.symbols.count('P')

    @property
    def n_sulfur(self) -> int:
        return self.symbols.count('S')

    def to_atoms(self) -> Atoms:
        """Return the block as a non-periodic :class:`ase.Atoms`."""
        return Atoms(symbols=list(self.symbols), positions=self.positions.copy())


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def _cone_positions(centre, axis, bond_length, angle_deg, azimuths_deg, reference):
    """Positions at ``bond_length`` from ``centre`` whose bonds make ``angle_deg`` with ``axis``.

    :param centre: (3,) Angstrom.
    :param axis: (3,) direction the angle is measured from.
    :param azimuths_deg: azimuths about ``axis`` in degrees, measured from ``reference``
        (a direction not parallel to ``axis``).
    :return: (len(azimuths_deg), 3) Angstrom.
    """
    axis = _unit(np.asarray(axis, dtype=float))
    first = _unit(reference - np.dot(reference, axis) * axis)
    second = np.cross(axis, first)
    polar = np.radians(angle_deg)
    azimuths = np.radians(np.asarray(azimuths_deg, dtype=float))[:, None]
    directions = np.cos(polar) * axis + np.sin(polar) * (np.cos(azimuths) * first + np.sin(azimuths) * second)
    return np.asarray(centre, dtype=float) + bond_length * directions


def _block(name: str, symbols: list, positions: list, charge: int) -> BuildingBlock:
    positions = np.vstack(positions)
    return BuildingBlock(name, tuple(symbols), positions - positions.mean(axis=0), charge)


def _ortho_thiophosphate(p_s: float = 2.05) -> BuildingBlock:
    vertices = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3.0)
    return _block(ORTHO, ['P', 'S', 'S', 'S', 'S'], [np.zeros(3), p_s * vertices], -3)


def _pyro_thiophosphate(terminal: float = 2.03, bridging: float = 2.15, bridge_angle_deg: float = 118.0):
    half = np.radians(bridge_angle_deg / 2)
    phosphorus = [bridging * np.array([sign * np.sin(half), 0.0, -np.cos(half)]) for sign in (1, -1)]
    terminal_sulfur = [
        # the three terminal S of each P sit on a tetrahedral cone around the P->S_bridge bond
        _cone_positions(p, -p, terminal, TETRAHEDRAL_ANGLE, [0, 120, 240], np.array([0.0, 1.0, 0.0]))
        for p in phosphorus
    ]
    return _block(PYRO, ['S'] + ['P', 'S', 'S', 'S'] * 2,
                  [np.zeros(3), phosphorus[0], terminal_sulfur[0], phosphorus[1], terminal_sulfur[1]], -4)


def _hypo_thiophosphate(p_p: float = 2.26, p_s: float = 2.04, s_p_p_deg: float = 104.7) -> BuildingBlock:
    z_axis, x_axis = np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0])
    upper, lower = 0.5 * p_p * z_axis, -0.5 * p_p * z_axis
    # staggered: the azimuths of the lower PS3 group are offset by 60 degrees
    upper_sulfur = _cone_positions(upper, z_axis, p_s, 180.0 - s_p_p_deg, [0, 120, 240], x_axis)
    lower_sulfur = _cone_positions(lower, -z_axis, p_s, 180.0 - s_p_p_deg, [60, 180, 300], x_axis)
    return _block(HYPO, ['P', 'S', 'S', 'S', 'P', 'S', 'S', 'S'], [upper, upper_sulfur, lower, lower_sulfur], -4)


def _meta_thiophosphate(bridging: float = 2.14, terminal: float = 1.97, ring_s_p_s_deg: float = 94.0,
                        terminal_s_p_s_deg: float = 116.0) -> BuildingBlock:
    half_ring = np.radians(ring_s_p_s_deg / 2)
    half_terminal = np.radians(terminal_s_p_s_deg / 2)
    positions, symbols = [], []
    for sign in (1, -1):
        phosphorus = np.array([sign * bridging * np.cos(half_ring), 0.0, 0.0])
        # the two terminal S lie in the plane perpendicular to the P2S2 ring, pointing outwards
        terminal_sulfur = [
            phosphorus + terminal * np.array([sign * np.cos(half_terminal), 0.0, up * np.sin(half_terminal)])
            for up in (1, -1)
        ]
        positions += [phosphorus, *terminal_sulfur]
        symbols += ['P', 'S', 'S']
    bridging_sulfur = [np.array([0.0, up * bridging * np.sin(half_ring), 0.0]) for up in (1, -1)]
    return _block(META, symbols + ['S', 'S'], positions + bridging_sulfur, -2)


def _isolated_sulfide() -> BuildingBlock:
    return _block(SULFIDE, ['S'], [np.zeros(3)], SULFIDE_CHARGE)


BUILDING_BLOCKS = {
    block.name: block
    for block in (_ortho_thiophosphate(), _pyro_thiophosphate(), _hypo_thiophosphate(), _meta_thiophosphate(),
                  _isolated_sulfide())
}
THIOPHOSPHATES = (ORTHO, PYRO, HYPO, META)


def get_building_block(name: str) -> BuildingBlock:
    """Return the rigid template called ``name`` (one of :data:`BUILDING_BLOCKS`)."""
    try:
        return BUILDING_BLOCKS[name]
    except KeyError:
        raise ValueError(f'unknown building block {name!r}; choose one of {sorted(BUILDING_BLOCKS)}') from None


@dataclass(frozen=True)
class GlassRecipe:
    """What a glass of a given composition is made of.

    :param motif_counts: number of each thiophosphate anion, e.g. ``{'PS4^3-': 4, 'P2S7^4-': 4}``.
    :param n_isolated_sulfur: number of isolated S atoms (not bonded to P).
    :param n_lithium: number of Li+ ions.
    :param isolated_sulfur_charge: total formal charge carried by the isolated S atoms (e); -2 per
        atom for S^2-, less negative where the composition fixes fewer Li (see :func:`glass_recipe`).
    """

    motif_counts: dict
    n_isolated_sulfur: int
    n_lithium: int
    isolated_sulfur_charge: int

    @property
    def element_counts(self) -> dict:
        counts = {'Li': self.n_lithium, 'P': 0, 'S': self.n_isolated_sulfur}
        for name, count in self.motif_counts.items():
            counts['P'] += count * BUILDING_BLOCKS[name].n_phosphorus
            counts['S'] += count * BUILDING_BLOCKS[name].n_sulfur
        return counts

    @property
    def total_charge(self) -> int:
        """Formal charge of the whole recipe in e (zero for every recipe :func:`glass_recipe` returns)."""
        anion_charge = sum(count * BUILDING_BLOCKS[name].charge for name, count in self.motif_counts.items())
        return anion_charge + self.isolated_sulfur_charge + self.n_lithium * LITHIUM_CHARGE


def formula_unit_counts(composition) -> dict:
    """Element counts (Li, P, S) of one formula unit.

    :param composition: ``x`` of (Li2S)_x(P2S5)_(1-x) (a number in (0, 1]; one formula unit is
        Li_2x P_2(1-x) S_(5-4x), SPEC §1), or a formula such as ``'Li7P3S11'`` or ``'Li4P2S6'``.
    :return: ``{'Li': ..., 'P': ..., 'S': ...}`` as :class:`fractions.Fraction` (exact).
    """
    if isinstance(composition, str):
        counts = Formula(composition).count()
        unknown = set(counts) - {'Li', 'P', 'S'}
        if unknown:
            raise ValueError(f'formula {composition!r} contains {sorted(unknown)}; only Li, P and S are allowed')
        return {element: Fraction(counts.get(element, 0)) for element in ('Li', 'P', 'S')}
    if not 0 < composition <= 1:
        raise ValueError(f'x = {composition} is outside (0, 1]; x = 0 (pure P2S5) has no motif in {THIOPHOSPHATES}')
    x = Fraction(composition).limit_denominator(1000)
    if abs(float(x) - composition) > 1e-9:
        raise ValueError(f'x = {composition} is not a ratio of small integers; pass a formula such as "Li7P3S11"')
    return {'Li': 2 * x, 'P': 2 * (1 - x), 'S': 5 - 4 * x}


def _integer_counts(formula_unit: dict, n_formula_units: int) -> dict:
    counts = {element: count * n_formula_units for element, count in formula_unit.items()}
    for element, count in counts.items():
        if count.denominator != 1:
            needed = math.lcm(*(c.denominator for c in formula_unit.values()))
            raise ValueError(f'{n_formula_units} formula units hold {float(count):g} {element} atoms, which is not an '
                             f'integer; use a multiple of {needed} formula units')
    return {element: int(count) for element, count in counts.items()}


def ideal_motif_ratio(element_counts: dict) -> dict:
    """The motif ratio that builds a composition without isolated S where possible (SPEC §4).

    The formal P oxidation state follows from charge neutrality, (2 n_S - n_Li) / n_P. P(IV) gives
    P2S6^4- only; P(V) gives, by S/P: >= 4 PS4^3- (plus S^2- above 4: Li3PS4, Li7PS6), 3.5-4
    PS4^3- and P2S7^4- (Li7P3S11 1:1), 3-3.5 P2S7^4- and P2S6^2- (Li4P2S7, LiPS3).

    :param element_counts: ``{'Li': n, 'P': n, 'S': n}`` integers, n_P > 0.
    :return: motif name -> count of the motifs present (integers, not reduced).
    """
    n_li, n_p, n_s = element_counts['Li'], element_counts['P'], element_counts['S']
    if n_p == 0:
        raise ValueError('the composition contains no P, so it has no thiophosphate motifs')
    oxidation_state = Fraction(2 * n_s - n_li, n_p)
    if oxidation_state == 4:
        return {HYPO: n_p}
    if oxidation_state != 5:
        raise ValueError(f'the formal P oxidation state of this composition is {oxidation_state}, neither +5 nor +4; '
                         'pass motif_ratio explicitly')
    if n_s >= 4 * n_p:
        ratio = {ORTHO: n_p}
    elif 2 * n_s >= 7 * n_p:
        ratio = {ORTHO: 2 * n_s - 7 * n_p, PYRO: 4 * n_p - n_s}
    elif n_s >= 3 * n_p:
        ratio = {PYRO: 2 * (n_s - 3 * n_p), META: 7 * n_p - 2 * n_s}
    else:
        raise ValueError(f'S/P = {n_s}/{n_p} is below 3, which no motif in {THIOPHOSPHATES} can build')
    return {name: count for name, count in ratio.items() if count}


def _scale_ratio(motif_ratio: dict, n_phosphorus: int) -> dict:
    for name in motif_ratio:
        if name not in THIOPHOSPHATES:
            raise ValueError(f'motif_ratio may only name thiophosphates {THIOPHOSPHATES}, not {name!r}; '
                             'isolated S follow from the S balance')
    if any(value < 0 for value in motif_ratio.values()) or not any(motif_ratio.values()):
        raise ValueError(f'motif_ratio {motif_ratio} must be non-negative with at least one positive entry')
    ratio = {name: Fraction(value).limit_denominator(1000) for name, value in motif_ratio.items() if value}
    phosphorus_per_ratio = sum(value * BUILDING_BLOCKS[name].n_phosphorus for name, value in ratio.items())
    scale = n_phosphorus / phosphorus_per_ratio
    counts = {name: value * scale for name, value in ratio.items()}
    if any(count.denominator != 1 for count in counts.values()):
        raise ValueError(f'{n_phosphorus} P cannot be split into whole motifs in the ratio {motif_ratio}; '
                         'change the number of formula units')
    return {name: int(count) for name, count in counts.items()}


def glass_recipe(composition, n_formula_units: int = 1, motif_ratio: dict | None = None) -> GlassRecipe:
    """Motif counts, isolated S and Li for ``n_formula_units`` of a composition.

    The motifs hold all P in ``motif_ratio`` (by number of anions); the S left over becomes isolated
    S atoms; Li is what the composition says. The result must be charge neutral with formal charges
    (P2S6^4- P(IV), all other P(V)): isolated S count as S^2- unless the composition has fewer Li,
    in which case they carry the remaining charge, which must lie between S^0 and S^2- per atom.
    This is how the thesis' PS4^3-:P2S6^4- 1:1 glasses with 2 isolated S per P2S6^4- keep the
    Li3PS4 stoichiometry (§5.4): 2 PS4^3- -> P2S6^4- + 2 S^-, i.e. the P-P bond formation reduces P
    and the two extra S together carry -2 (formally a disulfide S2^2-).

    :param composition: ``x`` of (Li2S)_x(P2S5)_(1-x), or a formula (see :func:`formula_unit_counts`).
    :param n_formula_units: number of formula units in the cell.
    :param motif_ratio: thiophosphate name -> relative number of anions, e.g.
        ``{'PS4^3-': 1, 'P2S6^4-': 1}``; default :func:`ideal_motif_ratio`.
    :raises ValueError: naming the problem when the counts are not integers, the motifs need more S
        than the composition has, or no charge assignment makes the cell neutral.
    """
    if n_formula_units < 1 or int(n_formula_units) != n_formula_units:
        raise ValueError(f'n_formula_units must be a positive integer, got {n_formula_units}')
    element_counts = _integer_counts(formula_unit_counts(composition), int(n_formula_units))
    if motif_ratio is None:
        motif_ratio = ideal_motif_ratio(element_counts)
    motif_counts = _scale_ratio(motif_ratio, element_counts['P'])
    motif_sulfur = sum(count * BUILDING_BLOCKS[name].n_sulfur for name, count in motif_counts.items())
    n_isolated_sulfur = element_counts['S'] - motif_sulfur
    if n_isolated_sulfur < 0:
        raise ValueError(f'the motifs {motif_counts} need {motif_sulfur} S but the composition has only '
                         f'{element_counts["S"]} (negative isolated S); choose S-poorer motifs')
    anion_charge = sum(count * BUILDING_BLOCKS[name].charge for name, count in motif_counts.items())
    isolated_sulfur_charge = -(element_counts['Li'] * LITHIUM_CHARGE + anion_charge)
    if not SULFIDE_CHARGE * n_isolated_sulfur <= isolated_sulfur_charge <= 0:
        raise ValueError(f'not charge neutral: {element_counts["Li"]} Li+ against anions of charge {anion_charge} '
                         f'would leave {isolated_sulfur_charge} e on {n_isolated_sulfur} isolated S (allowed: between '
                         f'{SULFIDE_CHARGE * n_isolated_sulfur} and 0); change the motif ratio or the Li content')
    return GlassRecipe(motif_counts, n_isolated_sulfur, element_counts['Li'], isolated_sulfur_charge)
