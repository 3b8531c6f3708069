"""Known-answer tests of the Li2S-P2S5 line composition and formation energy (aiida_lps.analysis.formation)."""

import pytest
from ase import Atoms

from aiida_lps.analysis.formation import (
    LineComposition,
    OffLineCompositionError,
    atoms_per_formula_unit,
    formation_energy_per_atom,
)

ENERGY_LI2S = -10.0  # eV per Li2S
ENERGY_P2S5 = -30.0  # eV per P2S5


@pytest.mark.parametrize(
    'counts, x, n_formula_units',
    [
        ((6, 2, 8), 0.75, 4),  # Li3PS4 (gamma cell Li6P2S8)
        ((14, 6, 22), 0.70, 10),  # Li7P3S11 cell
        ((4, 2, 7), 2 / 3, 3),  # Li4P2S7
        ((1, 1, 3), 0.5, 1),  # LiPS3
        ((7, 1, 6), 0.875, 4),  # Li7PS6
        ((8, 0, 4), 1.0, 4),  # Li2S
        ((0, 4, 10), 0.0, 2),  # P2S5
    ],
)
def test_line_compositions(counts, x, n_formula_units):
    composition = LineComposition(*counts)
    assert composition.x == pytest.approx(x)
    assert composition.n_formula_units == n_formula_units
    assert composition.n_formula_units * atoms_per_formula_unit(composition.x) == pytest.approx(sum(counts))


def test_from_symbols_of_atoms():
    atoms = Atoms('Li3PS4Li3PS4')
    assert LineComposition.from_symbols(atoms.get_chemical_symbols()) == LineComposition(6, 2, 8)


@pytest.mark.parametrize(
    'symbols, message',
    [
        ('Li4P2S6', r'needs \(n_Li \+ 5 n_P\) / 2 = 7 S'),  # hypo-thiophosphate: sulfur-deficient
        ('Li3PS5', 'off the'),
        ('Li3PO4', 'not part of the Li2S-P2S5 system'),
        ('S8', 'no Li2S or P2S5 content'),
    ],
)
def test_off_line_compositions_are_refused(symbols, message):
    with pytest.raises(OffLineCompositionError, match=message):
        LineComposition.from_symbols(Atoms(symbols).get_chemical_symbols())


def test_end_members_have_zero_formation_energy():
    li2s = LineComposition(8, 0, 4)
    p2s5 = LineComposition(0, 4, 10)
    assert formation_energy_per_atom(4 * ENERGY_LI2S, li2s, ENERGY_LI2S, ENERGY_P2S5) == pytest.approx(0.0, abs=1e-12)
    assert formation_energy_per_atom(2 * ENERGY_P2S5, p2s5, ENERGY_LI2S, ENERGY_P2S5) == pytest.approx(0.0, abs=1e-12)


def test_hand_computed_formation_energy():
    # Li6P2S8 = 3 Li2S + 1 P2S5: reference 3(-10) + (-30) = -60 eV; -61.6 eV is -1.6 eV over 16 atoms.
    assert formation_energy_per_atom(-61.6, LineComposition(6, 2, 8), ENERGY_LI2S, ENERGY_P2S5) == pytest.approx(-0.1)
    # Li7P3S11 cell Li14P6S22 = 7 Li2S + 3 P2S5: reference -160 eV; -163.36 eV is -3.36 eV over 42 atoms.
    li7p3s11 = LineComposition(14, 6, 22)
    assert formation_energy_per_atom(-163.36, li7p3s11, ENERGY_LI2S, ENERGY_P2S5) == pytest.approx(-0.08)
