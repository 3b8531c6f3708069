"""Calcfunction: which candidate structures of a training generation go to DFT (the choice is in provenance)."""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.soap import SoapParameters
from aiida_lps.data.potentials import PotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.sampling.selection import select_configurations, snapshot_run


@calcfunction
def select_candidates(
    training_set: TrainingSetData, parameters: orm.Dict, potential: PotentialData = None, **candidates
) -> dict:
    """Select among ``candidates`` (label -> StructureData) with ``aiida_lps.sampling.selection``.

    :param parameters: ``method`` (all, random, fps, uncertainty), ``count``, ``seed`` and, for fps, optional
        ``soap`` settings (``r_cut``, ``sigma`` in Angstrom, ``n_max``, ``l_max``), and optional ``max_per_run``:
        the most snapshots taken from one MD run (labels ``..._snapshot_<n>``; random and uncertainty).
    :param potential: the current potential, needed by the ``uncertainty`` method: one that
        ``predicts_variance`` (a GAP).
    :return: ``selection`` (Dict: method, candidates, selected labels in order, duplicates, scores) and
        ``selected_<label>``, a copy of each selected structure.
    """
    settings = parameters.get_dict()
    labels = sorted(candidates)
    calculator = potential.get_variance_calculator() if settings['method'] == 'uncertainty' else None
    selection = select_configurations(
        [candidates[label].get_ase() for label in labels],
        training_set.to_atoms(),
        settings['method'],
        settings.get('count'),
        rng=np.random.default_rng(settings['seed']),
        soap_parameters=SoapParameters(**settings.get('soap', {})),
        calculator=calculator,
        groups=[snapshot_run(label) for label in labels],
        max_per_group=settings.get('max_per_run'),
    )
    selected = [labels[index] for index in selection.indices]
    summary = {
        'method': settings['method'],
        'candidates': labels,
        'selected': selected,
        'duplicates': [labels[index] for index in selection.duplicates],
        'scores': {
            label: None if np.isnan(score) else float(score) for label, score in zip(selected, selection.scores)
        },
    }
    outputs = {'selection': orm.Dict(summary)}
    for label in selected:
        outputs[f'selected_{label}'] = candidates[label].clone()
    return outputs


__all__ = ('select_candidates',)
