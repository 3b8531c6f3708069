"""Stages of ``IterativeTrainingWorkChain``: their definitions, checks, verdicts and where a continued run resumes."""
from __future__ import annotations

import numpy as np
from aiida import orm
from ase import Atoms

from aiida_lps.sampling.selection import GROUP_CAPPED_METHODS, SELECTION_METHODS
from aiida_lps.workflows.explorers import EXPLORERS

__all__ = ('SELECTOR_DEFAULTS', 'STAGE_DEFAULTS', 'built_placeholder', 'resume_point', 'stage_message', 'stage_verdict',
           'with_label_cap')


#: Keys of a stage definition with their defaults (``None``: required).
STAGE_DEFAULTS = {
    'name': None,
    'structures': None,  # labels of ``structures`` explored in this stage; None: all of them
    'explorers': None,
    'selector': None,
    'max_generations': None,
    'patience': 1,
    'force_rmse_tolerance_eV_per_A': 0.01,
}
#: Keys of a selector with their defaults (``count`` is required except by the method ``all``). Candidates with
#: two atoms closer than ``min_distance_A`` (Angstrom; the shortest bond of Li2S-P2S5 is P-S at about 2.0) come
#: from collapsing MD: their DFT forces (hundreds of eV/Angstrom below 0.6) would wreck the fit, so they are never
#: selected. ``max_per_run`` (random and uncertainty) takes at most that many snapshots of one MD run; None: no limit.
SELECTOR_DEFAULTS = {'method': 'random', 'count': None, 'soap': {}, 'min_distance_A': 1.6, 'max_per_run': None}


def stage_verdict(history: list, tolerance_eV_per_A: float, patience: int, max_generations: int) -> str | None:
    """Whether a stage stops after its latest generation, and why.

    :param history: the convergence force RMSE (eV/Angstrom) before the stage's first generation (None if there is
        none) followed by one value per generation run in the stage (None for a generation that added no labels).
    :param tolerance_eV_per_A: an improvement (previous minus current RMSE) below this does not count.
    :param patience: consecutive non-improving generations that end the stage.
    :param max_generations: generations after which the stage ends anyway.
    :return: ``'stalled'`` (the last ``patience`` generations added no labels), ``'converged'`` (each of the last
        ``patience`` generations improved by less than the tolerance, a generation without labels counting as no
        improvement), ``'max_generations'``, or None (run another generation).
    """
    generations = history[1:]
    if len(generations) >= patience and all(value is None for value in generations[-patience:]):
        return 'stalled'
    improvements, last = [], history[0]
    for current in generations:
        if current is None:
            improvements.append(0.0)
            continue
        if last is not None:
            improvements.append(last - current)
        last = current
    recent = improvements[-patience:]
    if len(recent) == patience and all(improvement < tolerance_eV_per_A for improvement in recent):
        return 'converged'
    if len(generations) >= max_generations:
        return 'max_generations'
    return None


def resume_point(stages: list, rows: list) -> tuple[int, list | None]:
    """Where a continued run starts: the index of the first stage of ``stages`` that is not finished according to the
    generations ``rows`` of the runs before (an ``rmse_table``'s ``generations``), and that stage's history so far
    (see ``stage_verdict``; None when the stage has not started). ``len(stages)`` when all are finished.
    """
    measured = None
    for index, stage in enumerate(stages):
        stage = {**STAGE_DEFAULTS, **stage}
        own = [row for row in rows if row.get('stage') == stage['name']]
        if not own:
            return index, None
        first = rows.index(own[0])
        before = [row['convergence_force_rmse_eV_per_A'] for row in rows[:first]
                  if row.get('convergence_force_rmse_eV_per_A') is not None]
        measured = before[-1] if before else None
        history = [measured] + [row.get('convergence_force_rmse_eV_per_A') for row in own]
        if stage_verdict(history, stage['force_rmse_tolerance_eV_per_A'], stage['patience'],
                         stage['max_generations']) is None:
            return index, history
    return len(stages), None


def with_label_cap(stages: list, max_labels: int) -> list:
    """``stages`` with every selector that picks a ``count`` picking at most ``max_labels`` (those that label
    ``all`` candidates unchanged): smaller generations, for a run that must end within an allocation."""
    return [{**stage, 'selector': {**stage['selector'], 'count': min(stage['selector']['count'], max_labels)}}
            if 'count' in stage.get('selector', {}) else stage for stage in stages]


def stage_message(index: int, stage: dict, labels: set) -> str | None:
    """A message naming what is wrong with stage ``index``, or None.

    :param labels: labels of the input ``structures`` (may be empty when every explorer of the stage builds its own).
    """
    unknown = set(stage) - set(STAGE_DEFAULTS)
    if unknown:
        return f'stage {index}: unknown keys {sorted(unknown)}; known: {sorted(STAGE_DEFAULTS)}'
    merged = {**STAGE_DEFAULTS, **stage}
    missing = [key for key, value in merged.items() if value is None and key != 'structures']
    if missing:
        return f'stage {index}: give {missing}'
    if merged['structures'] is not None and set(merged['structures']) - labels:
        return (f'stage {merged["name"]}: structures {sorted(set(merged["structures"]) - labels)} are not among the '
                f'inputs `structures` ({sorted(labels)})')
    types = [explorer.get('type') for explorer in merged['explorers']]
    if not types or len(set(types)) != len(types):
        return f'stage {merged["name"]}: give at least one explorer, each type at most once (got {types})'
    for explorer in merged['explorers']:
        if explorer.get('type') not in EXPLORERS:
            return f'stage {merged["name"]}: unknown explorer type {explorer.get("type")!r}; known: {sorted(EXPLORERS)}'
        message = EXPLORERS[explorer['type']].validate(explorer)
        if message:
            return f'stage {merged["name"]}: {message}'
    needing = [kind for kind in types if EXPLORERS[kind].needs_structures]
    if needing and not (merged['structures'] or labels):
        return (f'stage {merged["name"]}: the explorers {needing} start from structures: give the input `structures` '
                f'(only {sorted(kind for kind, explorer in EXPLORERS.items() if not explorer.needs_structures)} '
                'build their own)')
    selector = {**SELECTOR_DEFAULTS, **merged['selector']}
    if set(selector) - set(SELECTOR_DEFAULTS):
        return f'stage {merged["name"]}: unknown selector keys {sorted(set(selector) - set(SELECTOR_DEFAULTS))}'
    if selector['method'] not in SELECTION_METHODS:
        return f'stage {merged["name"]}: selector method must be one of {SELECTION_METHODS}'
    if not selector['min_distance_A'] > 0:
        return f'stage {merged["name"]}: selector min_distance_A must be a positive distance (Angstrom)'
    if selector['method'] != 'all' and (not isinstance(selector['count'], int) or selector['count'] < 1):
        return f'stage {merged["name"]}: selector count must be a positive integer'
    if selector['max_per_run'] is not None and (
            selector['method'] not in GROUP_CAPPED_METHODS
            or not isinstance(selector['max_per_run'], int) or selector['max_per_run'] < 1):
        return (f'stage {merged["name"]}: selector max_per_run must be a positive integer, with the method random or '
                'uncertainty')
    if merged['max_generations'] < 1 or merged['patience'] < 1:
        return f'stage {merged["name"]}: max_generations and patience must be at least 1'
    return None


def built_placeholder(stages: list) -> dict:
    """``{type: cell}``: the atoms of one structure the first explorer of ``stages`` that builds its own (a glass)
    would build, on a 2.5 Angstrom cubic grid. The labelling builder reads the elements (cutoffs) and the atom count
    (conv_thr) of the structures to label from it when the run is given none.

    :raises ValueError: with the explorer's message when its settings are wrong, or when no explorer builds its own.
    """
    for stage in stages:
        for definition in stage.get('explorers') or []:
            explorer = EXPLORERS.get(definition.get('type'))
            if explorer is None or explorer.needs_structures:
                continue
            message = explorer.validate(definition)
            if message:
                raise ValueError(f'stage {stage.get("name")}: {message}')
            counts = explorer.built_composition(explorer.settings(definition))
            symbols = [element for element, count in sorted(counts.items()) for _ in range(count)]
            side = int(np.ceil(len(symbols) ** (1 / 3)))
            grid = 2.5 * np.array(np.unravel_index(np.arange(len(symbols)), (side,) * 3)).T
            return {explorer.name: orm.StructureData(ase=Atoms(symbols, positions=grid, cell=[2.5 * side] * 3,
                                                               pbc=True))}
    raise ValueError('give structures to explore (or initial_structures): no stage has an explorer that builds its '
                     'own structures')
