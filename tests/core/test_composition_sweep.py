"""Known answers of the composition-sweep table: reference energies per formula unit, E_f, E_above_hull, gaps."""
import pytest

from aiida_lps.analysis.composition_sweep import line_energy_table, reference_energy_per_formula_unit
from aiida_lps.analysis.formation import LineComposition, OffLineCompositionError

ENERGY_LI2S, ENERGY_P2S5 = -10.0, -30.0  # eV per formula unit


def test_reference_energy_per_formula_unit():
    assert reference_energy_per_formula_unit('Li2S', LineComposition(8, 0, 4), -40.0) == pytest.approx(-10.0)
    assert reference_energy_per_formula_unit('P2S5', LineComposition(0, 8, 20), -120.0) == pytest.approx(-30.0)
    with pytest.raises(OffLineCompositionError, match='the P2S5 reference has Li6 P2 S8'):
        reference_energy_per_formula_unit('P2S5', LineComposition(6, 2, 8), -61.6)
    with pytest.raises(ValueError, match="unknown end member 'LiPS3'"):
        reference_energy_per_formula_unit('LiPS3', LineComposition(2, 2, 6), -10.0)


def test_table_by_hand():
    compositions = {
        'li2s_cell': LineComposition(8, 0, 4),     # end member: E_f = 0, on the hull
        'li3ps4': LineComposition(6, 2, 8),        # 3 Li2S + 1 P2S5, -1.6 eV over 16 atoms: -100 meV/atom
        'li3ps4_high': LineComposition(6, 2, 8),   # same composition, 0.32 eV higher: +20 meV/atom above hull
        'li4p2s7': LineComposition(4, 2, 7),       # 2 Li2S + 1 P2S5 = -50 eV reference; -50.13 eV: -10 meV/atom
    }
    energies = {'li2s_cell': -40.0, 'li3ps4': -61.6, 'li3ps4_high': -61.28, 'li4p2s7': -50.13}
    table = line_energy_table(compositions, energies, ENERGY_LI2S, ENERGY_P2S5, threshold_meV_per_atom=26.0)
    rows = table['structures']
    assert rows['li2s_cell']['formation_energy_meV_per_atom'] == pytest.approx(0.0, abs=1e-9)
    assert rows['li3ps4']['formation_energy_meV_per_atom'] == pytest.approx(-100.0)
    assert rows['li3ps4_high']['e_above_hull_meV_per_atom'] == pytest.approx(20.0)
    assert rows['li4p2s7']['formation_energy_meV_per_atom'] == pytest.approx(-10.0)
    # The hull from P2S5 (atom fraction 0) to Li3PS4 (atom fraction 9/16, -100 meV/atom); Li4P2S7 has atom
    # fraction 6/13, where the hull is -100 (6/13) / (9/16) = -82.05 meV/atom.
    assert rows['li4p2s7']['e_above_hull_meV_per_atom'] == pytest.approx(-10.0 + 100.0 * (6 / 13) * 16 / 9)
    assert [rows[label]['on_hull'] for label in sorted(rows)] == [True, True, False, False]
    assert rows['li4p2s7']['x'] == pytest.approx(2 / 3) and rows['li4p2s7']['formula'] == 'Li4P2S7'
    # Li4P2S7 (72 meV/atom above) lies between near-stable P2S5 (x = 0) and Li3PS4 (x = 0.75): one gap.
    (gap,) = table['miscibility_gaps']
    assert (gap['x_low'], gap['x_high']) == (0.0, 0.75) and gap['sampled_x'] == pytest.approx([2 / 3])
    assert gap['lowest_e_above_hull_meV_per_atom'] == pytest.approx(rows['li4p2s7']['e_above_hull_meV_per_atom'])
    assert table['references'] == {'Li2S_eV_per_formula_unit': -10.0, 'P2S5_eV_per_formula_unit': -30.0}


def test_table_needs_one_energy_per_structure():
    with pytest.raises(ValueError, match='need one energy per structure'):
        line_energy_table({'a': LineComposition(6, 2, 8)}, {'b': -1.0}, ENERGY_LI2S, ENERGY_P2S5)


def test_similarity_plot_has_one_series_per_crystal_and_one_for_none(tmp_path):
    from aiida_lps.plotting.fingerprints import plot_hull_similarity

    figure = plot_hull_similarity([0.75, 2 / 3, 2 / 3, 0.5], [0.0, 30.0, 55.0, 80.0],
                                  ['gamma-Li3PS4', None, 'Li7P3S11', 'gamma-Li3PS4'], path=tmp_path / 'plot.png')
    series = {line.get_label(): line.get_xydata().tolist() for line in figure.axes[0].get_lines()}
    assert series == {'gamma-Li3PS4': [[0.75, 0.0], [0.5, 80.0]], 'Li7P3S11': [[2 / 3, 55.0]],
                      'similar to none': [[2 / 3, 30.0]]}
    assert (tmp_path / 'plot.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    with pytest.raises(ValueError, match='one x, energy and name per structure'):
        plot_hull_similarity([0.5], [1.0, 2.0], ['LiPS3'])
