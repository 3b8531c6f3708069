"""Known-answer tests of the Li2S-P2S5 hull, miscibility gaps and the hull plot."""

import numpy as np
import pytest
from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram
from pymatgen.core import Composition

from aiida_lps.analysis.formation import OffLineCompositionError
from aiida_lps.analysis.hull import (
    analyse_hull,
    composition_at,
    find_miscibility_gaps,
    hull_formation_energy,
    x_of_composition,
)

# x, E_f (eV/atom): end members, LiPS3 above the hull, Li3PS4 on it, a Li3PS4 polymorph above it.
X = np.array([0.0, 0.5, 0.75, 1.0, 0.75])
FORMATION = np.array([0.0, -0.1, -0.2, 0.0, -0.15])


def li2s_atom_fraction(x):
    """Fraction of atoms that come from Li2S, 3x / (7 - 4x): the axis along which the hull is linear."""
    return 3 * x / (7 - 4 * x)


def test_composition_mapping():
    assert composition_at(0.75) * 2 == Composition('Li3PS4')
    assert composition_at(0.7) * 10 == Composition('Li14P6S22')
    assert composition_at(1.0) == Composition('Li2S')
    assert composition_at(0.0) == Composition('P2S5')
    for formula, x in (('Li7P3S11', 0.7), ('Li4P2S7', 2 / 3), ('LiPS3', 0.5), ('Li7PS6', 0.875)):
        assert x_of_composition(Composition(formula)) == pytest.approx(x)
        assert x_of_composition(composition_at(x)) == pytest.approx(x)
    with pytest.raises(OffLineCompositionError, match='off the'):
        x_of_composition(Composition('Li4P2S6'))
    with pytest.raises(ValueError, match='outside'):
        composition_at(1.2)


def test_hand_made_hull():
    hull = analyse_hull(X, FORMATION)
    # Hull vertices at atom fractions 0, 9/16 (Li3PS4, -0.2 eV/atom) and 1. LiPS3 sits at atom fraction 0.3,
    # where the hull is -0.2 * 0.3 / (9/16) = -0.10667 eV/atom.
    np.testing.assert_allclose(hull.e_above_hull, [0.0, 0.2 * 0.3 * 16 / 9 - 0.1, 0.0, 0.0, 0.05], atol=1e-9)
    np.testing.assert_array_equal(hull.is_stable, [True, False, True, True, False])
    x_grid = np.linspace(0, 1, 11)
    expected = np.interp(li2s_atom_fraction(x_grid), [0, 9 / 16, 1], [0, -0.2, 0])
    np.testing.assert_allclose(hull_formation_energy(hull.phase_diagram, x_grid), expected, atol=1e-9)


def test_hull_matches_pymatgen_phase_diagram_with_real_elements():
    """Total energies in the Li-P-S system with deep end members give the same e_above_hull."""
    energy_li2s, energy_p2s5 = -12.0, -35.0  # eV per formula unit, far below the elements at 0 eV/atom
    n_formula_units = 4
    entries = [
        PDEntry(
            composition_at(x) * n_formula_units,
            n_formula_units * (ef * (7 - 4 * x) + x * energy_li2s + (1 - x) * energy_p2s5),
        )
        for x, ef in zip(X, FORMATION)
    ]
    elements = [PDEntry(Composition(symbol), 0.0) for symbol in ('Li', 'P', 'S')]
    phase_diagram = PhaseDiagram(entries + elements)
    expected = [phase_diagram.get_e_above_hull(entry) for entry in entries]
    np.testing.assert_allclose(analyse_hull(X, FORMATION).e_above_hull, expected, atol=1e-9)


def test_miscibility_gaps():
    x = np.array([0.0, 0.5, 0.6, 0.6, 2 / 3, 0.7, 0.75, 0.8, 0.875, 0.875, 1.0])
    e_above_hull = np.array([0.0, 0.010, 0.070, 0.100, 0.0235, 0.020, 0.0, 0.090, 0.015, 0.2, 0.0])
    gaps = find_miscibility_gaps(x, e_above_hull, threshold_meV_per_atom=26.0)
    assert [(gap.x_low, gap.x_high) for gap in gaps] == [(0.5, pytest.approx(2 / 3)), (0.75, 0.875)]
    assert gaps[0].sampled_x == (0.6,) and gaps[0].lowest_e_above_hull == pytest.approx(0.070)
    assert gaps[1].sampled_x == (0.8,) and gaps[1].lowest_e_above_hull == pytest.approx(0.090)
    # A looser threshold makes x = 0.6 near-stable and closes the first gap.
    assert [(gap.x_low, gap.x_high) for gap in find_miscibility_gaps(x, e_above_hull, 75.0)] == [(0.75, 0.875)]
    # An unsampled interval is not a gap, whatever the threshold.
    assert find_miscibility_gaps(np.array([0.5, 0.75]), np.array([0.0, 0.0])) == []


def test_miscibility_gap_between_end_member_and_compound():
    hull = analyse_hull(X, FORMATION)
    gaps = find_miscibility_gaps(hull.x, hull.e_above_hull, threshold_meV_per_atom=5.0)
    assert [(gap.x_low, gap.x_high, gap.sampled_x) for gap in gaps] == [(0.0, 0.75, (0.5,))]


def test_hull_plot(tmp_path):
    from aiida_lps.plotting.hull import plot_formation_energy_hull

    hull = analyse_hull(X, FORMATION)
    gaps = find_miscibility_gaps(hull.x, hull.e_above_hull, threshold_meV_per_atom=5.0)
    path = tmp_path / 'hull.png'
    kinds = ['crystal', 'ga', 'crystal', 'crystal', 'ga']
    names = ['P2S5', None, 'gamma', 'Li2S', None]
    figure = plot_formation_energy_hull(hull, kinds, names=names, gaps=gaps, path=path)
    assert path.stat().st_size > 0
    hull_line = figure.axes[0].lines[0]
    at_li3ps4 = np.argmin(abs(hull_line.get_xdata() - 0.75))
    assert hull_line.get_ydata()[at_li3ps4] == pytest.approx(-200.0)
    with pytest.raises(ValueError, match='kinds'):
        plot_formation_energy_hull(hull, ['crystal'] * 4 + ['glass'])
