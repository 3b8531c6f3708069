"""Lower convex hull of formation energies along the Li2S-P2S5 line, and miscibility gaps.

The hull is pymatgen's (S. P. Ong, L. Wang, B. Kang, G. Ceder, Chem. Mater. 20, 1798 (2008),
doi:10.1021/cm702327g): a :class:`pymatgen.analysis.phase_diagram.CompoundPhaseDiagram` with the
terminal compositions Li2S and P2S5, normalised per atom, built from :class:`PDEntry` objects. Each
structure enters with its real composition (one formula unit Li_(2x) P_(2-2x) S_(5-4x) of
(Li2S)_x(P2S5)_(1-x)) and energy ``E_f (7 - 4x)``, where ``E_f`` is the formation energy per atom of
:mod:`aiida_lps.analysis.formation`. Because the terminals are normalised per atom, pymatgen's
"per atom" is per real atom and the energy above hull is in eV/atom. The two end members enter as
references with ``E_f = 0`` (the definition of ``E_f``), so the caller needs to supply only the
sampled structures.

The hull is convex in the atomic fraction of Li2S-derived atoms, ``3x / (7 - 4x)``, not in the molar
fraction x; plotted against x (as in Fig. 5 of H. Guo, Q. Wang, A. Urban, N. Artrith, Chem. Mater.
(2022), doi:10.1021/acs.chemmater.2c00267) the tie lines are therefore slightly curved.
:func:`hull_formation_energy` evaluates them exactly.

Miscibility gaps (Guo et al. 2022 report 0.5 < x < 0.667 and 0.75 < x < 0.875) are defined here as
follows. A sampled composition is *near-stable* when its lowest energy above hull is at most
``threshold_meV_per_atom``; the end members x = 0 and x = 1 are always near-stable (their lowest
entry is on the hull by construction). A miscibility gap is the open interval between two
consecutive near-stable compositions that contains at least one sampled composition (which then
lies above the threshold). Intervals with no sample inside are not reported: lack of data is not
evidence of phase separation.
"""

from dataclasses import dataclass

import numpy as np
from pymatgen.analysis.phase_diagram import CompoundPhaseDiagram, PDEntry
from pymatgen.core import Composition

from aiida_lps.analysis.formation import OffLineCompositionError, atoms_per_formula_unit

LI2S = Composition('Li2S')
P2S5 = Composition('P2S5')
COMPOSITION_TOLERANCE = 1e-8
"""Relative tolerance on the sulfur balance and on equality of x (dimensionless)."""


def composition_at(x: float) -> Composition:
    """One formula unit of (Li2S)_x(P2S5)_(1-x): Li_(2x) P_(2-2x) S_(5-4x).

    :param x: molar fraction of Li2S, in [0, 1].
    """
    if not 0.0 <= x <= 1.0:
        raise ValueError(f'x = {x} is outside [0, 1]; x is the molar fraction of Li2S.')
    amounts = {'Li': 2.0 * x, 'P': 2.0 * (1.0 - x), 'S': 5.0 - 4.0 * x}
    return Composition({element: amount for element, amount in amounts.items() if amount > 0})


def x_of_composition(composition: Composition) -> float:
    """Molar fraction of Li2S of a composition on the (Li2S)_x(P2S5)_(1-x) line.

    :param composition: any amount (integer or fractional) of Li, P and S.
    :raises OffLineCompositionError: for other elements or a sulfur count off the line.
    """
    foreign = sorted({element.symbol for element in composition.elements} - {'Li', 'P', 'S'})
    if foreign:
        raise OffLineCompositionError(f'{composition.formula} contains {foreign}; only Li, P and S are allowed.')
    n_li, n_p, n_s = composition['Li'], composition['P'], composition['S']
    if n_li + n_p <= 0 or abs(2 * n_s - n_li - 5 * n_p) > COMPOSITION_TOLERANCE * composition.num_atoms:
        raise OffLineCompositionError(
            f'{composition.formula} is off the (Li2S)_x(P2S5)_(1-x) line: it needs (n_Li + 5 n_P) / 2 S atoms.'
        )
    return n_li / (n_li + n_p)


def build_line_phase_diagram(x: np.ndarray, formation_energy_per_atom: np.ndarray) -> CompoundPhaseDiagram:
    """Pseudo-binary Li2S-P2S5 phase diagram of the given structures plus the two end-member references.

    :param x: molar fraction of Li2S of each structure, shape (n_structures,).
    :param formation_energy_per_atom: formation energy of each structure, eV/atom, shape (n_structures,).
    :return: the phase diagram; entry ``i`` carries ``attribute == i``, the references ``None``.
    """
    x = np.asarray(x, dtype=float)
    formation_energy_per_atom = np.asarray(formation_energy_per_atom, dtype=float)
    if x.shape != formation_energy_per_atom.shape or x.ndim != 1:
        raise ValueError(
            f'x {x.shape} and formation_energy_per_atom {formation_energy_per_atom.shape} must be 1-D of equal length.'
        )
    entries = [
        PDEntry(composition_at(x_i), energy_i * atoms_per_formula_unit(x_i), attribute=index)
        for index, (x_i, energy_i) in enumerate(zip(x, formation_energy_per_atom))
    ]
    references = [PDEntry(LI2S, 0.0, name='Li2S reference'), PDEntry(P2S5, 0.0, name='P2S5 reference')]
    return CompoundPhaseDiagram(entries + references, terminal_compositions=[LI2S, P2S5])


@dataclass(frozen=True)
class HullAnalysis:
    """Energies above the lower convex hull of a set of structures on the Li2S-P2S5 line.

    :param x: molar fraction of Li2S, shape (n_structures,).
    :param formation_energy_per_atom: eV/atom, shape (n_structures,).
    :param e_above_hull: energy above the hull, eV/atom, shape (n_structures,).
    :param is_stable: on the hull within the tolerance used, shape (n_structures,).
    :param phase_diagram: the pymatgen phase diagram, for further queries.
    """

    x: np.ndarray
    formation_energy_per_atom: np.ndarray
    e_above_hull: np.ndarray
    is_stable: np.ndarray
    phase_diagram: CompoundPhaseDiagram


def analyse_hull(
    x: np.ndarray, formation_energy_per_atom: np.ndarray, stable_tolerance: float = 1e-6
) -> HullAnalysis:
    """Energy above hull and stability of each structure.

    :param x: molar fraction of Li2S of each structure, shape (n_structures,).
    :param formation_energy_per_atom: eV/atom, shape (n_structures,).
    :param stable_tolerance: a structure with ``e_above_hull <= stable_tolerance`` is stable, eV/atom
        (degenerate structures at one composition are then all stable).
    """
    phase_diagram = build_line_phase_diagram(x, formation_energy_per_atom)
    e_above_hull = np.full(len(np.atleast_1d(x)), np.nan)
    for entry in phase_diagram.all_entries:
        index = entry.original_entry.attribute
        if index is not None:
            e_above_hull[index] = phase_diagram.get_e_above_hull(entry)
    return HullAnalysis(
        x=np.asarray(x, dtype=float),
        formation_energy_per_atom=np.asarray(formation_energy_per_atom, dtype=float),
        e_above_hull=e_above_hull,
        is_stable=e_above_hull <= stable_tolerance,
        phase_diagram=phase_diagram,
    )


def hull_formation_energy(phase_diagram: CompoundPhaseDiagram, x: np.ndarray) -> np.ndarray:
    """Formation energy on the lower convex hull at arbitrary compositions (for plotting the hull line).

    :param phase_diagram: from :func:`build_line_phase_diagram`.
    :param x: molar fractions of Li2S, shape (n_points,).
    :return: hull formation energy, eV/atom, shape (n_points,).
    """
    li2s_species = phase_diagram.species_mapping[LI2S.fractional_composition]
    p2s5_species = phase_diagram.species_mapping[P2S5.fractional_composition]
    # With per-atom terminals one formula unit holds 3x Li2S-type and 7(1-x) P2S5-type atoms.
    compositions = [
        Composition({li2s_species: 3.0 * x_i, p2s5_species: 7.0 * (1.0 - x_i)}) for x_i in np.asarray(x, dtype=float)
    ]
    return np.array([phase_diagram.get_hull_energy_per_atom(composition) for composition in compositions])


@dataclass(frozen=True)
class MiscibilityGap:
    """An open composition interval with samples but no near-stable structure.

    :param x_low: near-stable composition bounding the gap from below (molar fraction of Li2S).
    :param x_high: near-stable composition bounding the gap from above.
    :param sampled_x: sampled compositions inside the gap, ascending.
    :param lowest_e_above_hull: lowest energy above hull among the samples inside, eV/atom.
    """

    x_low: float
    x_high: float
    sampled_x: tuple[float, ...]
    lowest_e_above_hull: float


def find_miscibility_gaps(
    x: np.ndarray, e_above_hull: np.ndarray, threshold_meV_per_atom: float = 26.0
) -> list[MiscibilityGap]:
    """Miscibility gaps as defined in the module docstring.

    :param x: molar fraction of Li2S of each sampled structure, shape (n_structures,).
    :param e_above_hull: energy above hull of each structure, eV/atom, shape (n_structures,).
    :param threshold_meV_per_atom: a composition is near-stable when its lowest energy above hull is at
        most this, meV/atom. The default, 26 meV/atom, is the thermal energy at room temperature that
        Guo et al. (2022) use as yardstick.
    :return: the gaps, ordered by x.
    """
    x = np.asarray(x, dtype=float)
    e_above_hull = np.asarray(e_above_hull, dtype=float)
    if x.shape != e_above_hull.shape or x.size == 0:
        raise ValueError(f'x {x.shape} and e_above_hull {e_above_hull.shape} must be non-empty and of equal shape.')
    threshold = threshold_meV_per_atom * 1e-3
    compositions, lowest_by_composition = _lowest_per_composition(x, e_above_hull)
    near_stable = compositions[lowest_by_composition <= threshold]
    bounds = np.unique(np.concatenate([[0.0, 1.0], near_stable]))
    gaps = []
    for x_low, x_high in zip(bounds[:-1], bounds[1:]):
        inside = (compositions > x_low) & (compositions < x_high)
        if inside.any():
            gaps.append(
                MiscibilityGap(
                    x_low=float(x_low),
                    x_high=float(x_high),
                    sampled_x=tuple(float(value) for value in compositions[inside]),
                    lowest_e_above_hull=float(lowest_by_composition[inside].min()),
                )
            )
    return gaps


def _lowest_per_composition(x: np.ndarray, e_above_hull: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct compositions (ascending, equal within COMPOSITION_TOLERANCE) and their lowest e_above_hull."""
    order = np.argsort(x)
    x_sorted, e_sorted = x[order], e_above_hull[order]
    starts = np.concatenate([[0], np.nonzero(np.diff(x_sorted) > COMPOSITION_TOLERANCE)[0] + 1])
    return x_sorted[starts], np.minimum.reduceat(e_sorted, starts)
