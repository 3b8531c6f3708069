"""Formation energies, energies above hull and miscibility gaps of a set of total energies on the Li2S-P2S5 line.

Turns what a composition sweep produces (total DFT energies of relaxed cells, and of bulk Li2S and P2S5 computed
with the same settings) into one JSON-serialisable table: per structure x, the formation energy per atom
(:func:`aiida_lps.analysis.formation.formation_energy_per_atom`, corrected eq. 1 of H. Guo, Q. Wang, A. Urban,
N. Artrith, Chem. Mater. (2022), doi:10.1021/acs.chemmater.2c00267) and the energy above pymatgen's lower convex
hull (:func:`aiida_lps.analysis.hull.analyse_hull`), then the miscibility gaps
(:func:`aiida_lps.analysis.hull.find_miscibility_gaps`). Energies in the table are in meV/atom, as in the article.
"""

from collections.abc import Mapping

from aiida_lps.analysis.formation import LineComposition, OffLineCompositionError, formation_energy_per_atom
from aiida_lps.analysis.hull import analyse_hull, find_miscibility_gaps

__all__ = ('END_MEMBER_X', 'line_energy_table', 'reference_energy_per_formula_unit')

END_MEMBER_X = {'Li2S': 1.0, 'P2S5': 0.0}
"""Molar fraction of Li2S of each end member."""


def reference_energy_per_formula_unit(end_member: str, composition: LineComposition, energy: float) -> float:
    """Energy per formula unit (Li2S: 3 atoms, P2S5: 7 atoms) of a bulk end-member cell.

    :param end_member: 'Li2S' or 'P2S5'.
    :param composition: atom counts of the cell, e.g. Li8S4 (4 formula units).
    :param energy: total energy of the cell, eV.
    :return: eV per formula unit.
    :raises OffLineCompositionError: when the cell is not pure ``end_member``.
    """
    if end_member not in END_MEMBER_X:
        raise ValueError(f'unknown end member {end_member!r}; choose one of {sorted(END_MEMBER_X)}.')
    if composition.x != END_MEMBER_X[end_member]:
        raise OffLineCompositionError(
            f'the {end_member} reference has Li{composition.n_li} P{composition.n_p} S{composition.n_s}, '
            f'not the composition of {end_member}.'
        )
    return energy / composition.n_formula_units


def line_energy_table(
    compositions: Mapping[str, LineComposition],
    energies: Mapping[str, float],
    energy_li2s_per_formula_unit: float,
    energy_p2s5_per_formula_unit: float,
    threshold_meV_per_atom: float = 26.0,
) -> dict:
    """Formation energy, energy above hull and stability of each structure, and the miscibility gaps.

    :param compositions: label -> atom counts of each structure.
    :param energies: label -> total energy, eV (same labels as ``compositions``).
    :param energy_li2s_per_formula_unit: bulk Li2S, eV per Li2S.
    :param energy_p2s5_per_formula_unit: bulk P2S5, eV per P2S5.
    :param threshold_meV_per_atom: a composition whose lowest energy above hull is at most this is near-stable
        (bounds miscibility gaps), meV/atom.
    :return: ``structures`` (label -> ``x``, ``formula``, ``n_atoms``, ``energy_eV``,
        ``formation_energy_meV_per_atom``, ``e_above_hull_meV_per_atom``, ``on_hull``), ``miscibility_gaps``
        (list of ``x_low``, ``x_high``, ``sampled_x``, ``lowest_e_above_hull_meV_per_atom``), ``references``
        (eV per formula unit) and ``threshold_meV_per_atom``.
    """
    if set(compositions) != set(energies) or not compositions:
        raise ValueError(
            f'need one energy per structure: labels {sorted(compositions)} vs energies {sorted(energies)}.'
        )
    labels = sorted(compositions)
    x = [compositions[label].x for label in labels]
    formation = [
        formation_energy_per_atom(
            energies[label], compositions[label], energy_li2s_per_formula_unit, energy_p2s5_per_formula_unit
        )
        for label in labels
    ]
    hull = analyse_hull(x, formation)
    gaps = find_miscibility_gaps(hull.x, hull.e_above_hull, threshold_meV_per_atom)
    structures = {}
    for index, label in enumerate(labels):
        composition = compositions[label]
        structures[label] = {
            'x': composition.x,
            'formula': f'Li{composition.n_li}P{composition.n_p}S{composition.n_s}',
            'n_atoms': composition.n_atoms,
            'energy_eV': float(energies[label]),
            'formation_energy_meV_per_atom': 1000.0 * float(hull.formation_energy_per_atom[index]),
            'e_above_hull_meV_per_atom': 1000.0 * float(hull.e_above_hull[index]),
            'on_hull': bool(hull.is_stable[index]),
        }
    return {
        'structures': structures,
        'miscibility_gaps': [
            {
                'x_low': gap.x_low,
                'x_high': gap.x_high,
                'sampled_x': list(gap.sampled_x),
                'lowest_e_above_hull_meV_per_atom': 1000.0 * gap.lowest_e_above_hull,
            }
            for gap in gaps
        ],
        'references': {
            'Li2S_eV_per_formula_unit': float(energy_li2s_per_formula_unit),
            'P2S5_eV_per_formula_unit': float(energy_p2s5_per_formula_unit),
        },
        'threshold_meV_per_atom': float(threshold_meV_per_atom),
    }
