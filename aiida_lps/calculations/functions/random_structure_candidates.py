"""Calcfunction: many random structures, of which the most dissimilar few are kept (GAP-RSS / AIRSS candidates)."""
from aiida import orm
from aiida.engine import calcfunction
import numpy as np

from aiida_lps.analysis.soap import GAP_SOAP_PARAMETERS, SoapParameters
from aiida_lps.sampling.random_structures import most_dissimilar_structures, random_structures


@calcfunction
def random_structure_candidates(formula: orm.Str, n_generated: orm.Int, n_selected: orm.Int, seed: orm.Int,
                                formula_unit_choices: orm.List, volume_per_atom_A3: orm.Float,
                                soap_parameters: orm.Dict = None) -> dict:
    """``n_generated`` random cells of ``formula`` (``aiida_lps.sampling.random_structures``: per-element bond
    lengths Li 2.4-3.0, P 1.8-2.05, S 1.8-2.3 Angstrom, ``volume_per_atom_A3``) and the ``n_selected`` most
    dissimilar by farthest-point sampling on the global SOAP kernel distance (thesis §5.5), all from
    ``numpy.random.default_rng(seed)``.

    :param formula_unit_choices: allowed numbers of formula units per cell (thesis: 1-3).
    :param soap_parameters: ``SoapParameters`` fields; default: the GAP's (thesis Table 1).
    :return: ``candidate_<k>`` (k = 0 .. n_selected - 1 in order of selection) and ``selection`` (Dict:
        ``generated_index`` of each candidate, ``bond_lengths_A`` drawn for it, ``n_generated``).
    """
    frames = random_structures(formula.value, n_generated.value, np.random.default_rng(seed.value),
                               formula_unit_choices=formula_unit_choices.get_list(),
                               volume_per_atom=volume_per_atom_A3.value)
    parameters = GAP_SOAP_PARAMETERS if soap_parameters is None else SoapParameters(**soap_parameters.get_dict())
    selected = most_dissimilar_structures(frames, n_selected.value, parameters).tolist()
    outputs = {f'candidate_{rank}': orm.StructureData(ase=frames[index]) for rank, index in enumerate(selected)}
    outputs['selection'] = orm.Dict({'generated_index': selected, 'n_generated': n_generated.value,
                                     'bond_lengths_A': [frames[index].info['bond_lengths'] for index in selected]})
    return outputs
