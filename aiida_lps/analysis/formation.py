"""Position on the Li2S-P2S5 composition line and formation energy per atom.

A structure Li_a P_b S_c lies on the line (Li2S)_x(P2S5)_(1-x) when its sulfur count balances the
lithium and phosphorus counts, ``2 c = a + 5 b``. It then holds ``n_fu = (a + b) / 2`` formula units
of (Li2S)_x(P2S5)_(1-x) with ``x = a / (a + b)``, and one formula unit has ``3x + 7(1 - x) = 7 - 4x``
atoms. Examples: Li3PS4 is x = 0.75 with 2 formula units, LiPS3 is x = 0.5 with 1 formula unit.

The formation energy per atom relative to the end members is the corrected form of eq. 1 of
H. Guo, Q. Wang, A. Urban, N. Artrith, Chem. Mater. (2022), doi:10.1021/acs.chemmater.2c00267
(the extracted article misplaces the division):

    E_f = [E_fu - x E(Li2S) - (1 - x) E(P2S5)] / (7 - 4x),

with ``E_fu = E_total / n_fu`` and E(Li2S), E(P2S5) the energies per formula unit of the bulk end
members. The end members themselves have ``E_f = 0``.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

LINE_SPECIES = ('Li', 'P', 'S')


class OffLineCompositionError(ValueError):
    """The composition does not lie on the (Li2S)_x(P2S5)_(1-x) line."""


@dataclass(frozen=True)
class LineComposition:
    """Atom counts of a structure on the (Li2S)_x(P2S5)_(1-x) line.

    :param n_li: number of Li atoms.
    :param n_p: number of P atoms.
    :param n_s: number of S atoms; must equal ``(n_li + 5 n_p) / 2``.
    :raises OffLineCompositionError: if the counts are not on the line.
    """

    n_li: int
    n_p: int
    n_s: int

    def __post_init__(self):
        if min(self.n_li, self.n_p, self.n_s) < 0 or self.n_li + self.n_p == 0:
            raise OffLineCompositionError(
                f'Li{self.n_li} P{self.n_p} S{self.n_s} has no Li2S or P2S5 content; '
                'a structure on the line needs at least one Li or P atom and non-negative counts.'
            )
        if 2 * self.n_s != self.n_li + 5 * self.n_p:
            expected_n_s = (self.n_li + 5 * self.n_p) / 2
            raise OffLineCompositionError(
                f'Li{self.n_li} P{self.n_p} S{self.n_s} is off the (Li2S)_x(P2S5)_(1-x) line: '
                f'it needs (n_Li + 5 n_P) / 2 = {expected_n_s:g} S atoms. Sulfur-deficient or '
                'sulfur-rich structures (e.g. Li4P2S6) cannot be placed on this line.'
            )

    @classmethod
    def from_symbols(cls, symbols: Iterable[str]) -> 'LineComposition':
        """Count Li, P and S in a list of chemical symbols (e.g. ``atoms.get_chemical_symbols()``).

        :param symbols: chemical symbols of all atoms, length n_atoms.
        :raises OffLineCompositionError: for other elements or counts off the line.
        """
        counts = Counter(symbols)
        foreign = sorted(set(counts) - set(LINE_SPECIES))
        if foreign:
            raise OffLineCompositionError(
                f'elements {foreign} are not part of the Li2S-P2S5 system; only Li, P and S are allowed.'
            )
        return cls(n_li=counts['Li'], n_p=counts['P'], n_s=counts['S'])

    @property
    def x(self) -> float:
        """Molar fraction of Li2S, ``n_Li / (n_Li + n_P)`` (dimensionless, 0 for P2S5, 1 for Li2S)."""
        return self.n_li / (self.n_li + self.n_p)

    @property
    def n_formula_units(self) -> float:
        """Number of (Li2S)_x(P2S5)_(1-x) formula units, ``(n_Li + n_P) / 2``."""
        return (self.n_li + self.n_p) / 2

    @property
    def n_atoms(self) -> int:
        """Total number of atoms."""
        return self.n_li + self.n_p + self.n_s


def atoms_per_formula_unit(x: float) -> float:
    """Number of atoms in one (Li2S)_x(P2S5)_(1-x) formula unit, ``7 - 4x``.

    :param x: molar fraction of Li2S, in [0, 1].
    """
    return 7.0 - 4.0 * x


def formation_energy_per_atom(
    energy: float,
    composition: LineComposition,
    energy_li2s_per_formula_unit: float,
    energy_p2s5_per_formula_unit: float,
) -> float:
    """Formation energy per atom relative to bulk Li2S and P2S5 (corrected eq. 1 of Guo et al. 2022).

    :param energy: total energy of the structure, eV.
    :param composition: atom counts of the structure.
    :param energy_li2s_per_formula_unit: energy of bulk Li2S per Li2S formula unit (3 atoms), eV.
    :param energy_p2s5_per_formula_unit: energy of bulk P2S5 per P2S5 formula unit (7 atoms), eV.
    :return: formation energy, eV/atom.
    """
    x = composition.x
    energy_per_formula_unit = energy / composition.n_formula_units
    reference = x * energy_li2s_per_formula_unit + (1.0 - x) * energy_p2s5_per_formula_unit
    return (energy_per_formula_unit - reference) / atoms_per_formula_unit(x)
