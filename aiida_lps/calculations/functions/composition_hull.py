"""Calcfunction: formation energies, energies above hull and miscibility gaps of DFT-relaxed structures.

Wraps :func:`aiida_lps.analysis.composition_sweep.line_energy_table` on the final energies (eV) of pw.x relaxations:
the end members Li2S and P2S5 and every sampled structure must come from the same DFT settings.
"""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.composition_sweep import line_energy_table, reference_energy_per_formula_unit
from aiida_lps.analysis.formation import LineComposition

__all__ = ('composition_hull',)


def _composition(structure: orm.StructureData) -> LineComposition:
    return LineComposition.from_symbols(structure.get_ase().get_chemical_symbols())


@calcfunction
def composition_hull(
    threshold_meV_per_atom: orm.Float, origins: orm.Dict, li2s_structure: orm.StructureData,
    li2s_parameters: orm.Dict, p2s5_structure: orm.StructureData, p2s5_parameters: orm.Dict, **kwargs,
) -> orm.Dict:
    """The composition-line table of ``structure_<label>`` / ``parameters_<label>`` (pw.x output_parameters,
    ``energy`` in eV) for every label, against the Li2S and P2S5 references.

    :param threshold_meV_per_atom: near-stability threshold of the miscibility gaps, meV/atom.
    :param origins: label -> anything describing where the structure came from (e.g. ``kind``, ``step``); merged
        into the label's row.
    :return: :func:`line_energy_table`'s dict: per label x, formula, energy (eV), formation energy and energy above
        hull (meV/atom), ``on_hull``, plus the miscibility gaps and the reference energies (eV per formula unit).
    """
    labels = sorted(key.removeprefix('structure_') for key in kwargs if key.startswith('structure_'))
    table = line_energy_table(
        {label: _composition(kwargs[f'structure_{label}']) for label in labels},
        {label: kwargs[f'parameters_{label}']['energy'] for label in labels},
        reference_energy_per_formula_unit('Li2S', _composition(li2s_structure), li2s_parameters['energy']),
        reference_energy_per_formula_unit('P2S5', _composition(p2s5_structure), p2s5_parameters['energy']),
        threshold_meV_per_atom.value,
    )
    origin = origins.get_dict()
    for label, row in table['structures'].items():
        row.update(origin.get(label, {}))
    return orm.Dict(table)
