"""Query helpers: potentials with their errors, conductivity results, and where a potential's labels came from.

Every helper reads the provenance graph of the loaded profile (``aiida.load_profile()``), so it works the same on
results computed here and on results imported from an archive. Examples (see also ``docs/queries.md``)::

    from aiida import load_profile
    from aiida_lps import query
    load_profile()

    for row in query.potential_errors():
        print(row.pk, row.training.get('force_rmse_eV_per_A'),
              {uuid[:8]: m['force_rmse_eV_per_A'] for uuid, m in row.validation.items()})

    for result in query.conductivity_results('Li3PS4', min_temperature_K=500, max_temperature_K=800):
        print(result.temperature_K, result.conductivity_S_per_cm, result.conductivity_err_S_per_cm)

    lineage = query.training_set_lineage(query.fitted_training_set(potential))
    for source in lineage.sources:
        print(source.label, source.calculation.pk, source.labelling.pk if source.labelling else None)

What each helper relies on is stated in its docstring: link labels and attribute names of this package's
processes (the fits of ``lps.potential_fitters``, ``evaluate_potential``, ``conductivity_at_temperature``,
``training_set_from_pw``, ``training_set_from_pw_md``, ``concatenate_training_sets``), never their Python classes, so
results of older versions are found as well.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from aiida import orm
from aiida.common.links import LinkType
from ase.formula import Formula

from aiida_lps.calculations.fitters import potential_fitters
from aiida_lps.data.potentials import PotentialData
from aiida_lps.data.training_set import TrainingSetData

__all__ = (
    'ConductivityResult',
    'LabelSource',
    'PotentialErrors',
    'TrainingSetLineage',
    'conductivity_results',
    'fitted_training_set',
    'newest_finished',
    'potential_errors',
    'training_set_lineage',
    'validation_sets',
)

#: Link label under which a workflow takes or returns its held-out validation set (``lps.training.iterative``).
VALIDATION_SET_LINK = 'validation_set'
#: Output link label of the error metrics of a potential on a data set (``evaluate_potential``, every fit).
METRICS_LINK = 'metrics'
#: Attribute that marks a Dict as a conductivity result at one temperature (``conductivity_at_temperature``).
CONDUCTIVITY_KEY = 'conductivity_S_per_cm'


# ---------------------------------------------------------------------------------------------------- processes
def newest_finished(process_class, link_label: str) -> orm.ProcessNode | None:
    """The newest finished ``process_class`` node with an output ``link_label`` (any exit status), or None.

    An ``IterativeTrainingWorkChain`` that stopped on 410 (RMSEs still improving at max_generations) has its
    outputs, so it counts.
    """
    query = orm.QueryBuilder().append(process_class, tag='process', filters={'attributes.process_state': 'finished'})
    for node in query.order_by({'process': {'ctime': 'desc'}}).all(flat=True):
        if link_label in node.outputs:
            return node
    return None


# ---------------------------------------------------------------------------------------------------- potentials
def potential_types() -> dict[str, type]:
    """The node class of every potential kind with a fitter (``lps.potential_fitters``), by its node type."""
    return {fitter.data_type.class_node_type: fitter.data_type for fitter in potential_fitters().values()}


@dataclass(frozen=True)
class PotentialErrors:
    """The errors of one potential.

    :param pk: primary key of the ``PotentialData``.
    :param uuid: its UUID (stable across archives).
    :param species: chemical symbols the potential covers.
    :param training: RMSEs on its own training set (``PotentialData.metrics``: ``energy_rmse_meV_per_atom``,
        ``force_rmse_eV_per_A``, ``force_rmse_by_element``, ...); empty for a potential stored without metrics.
    :param validation: validation-set UUID -> the same metrics on that held-out set; empty when never validated.
    :param kind: the potential's kind (``GAP``, ``POD``, ...: its class's ``potential_kind``).
    """

    pk: int
    uuid: str
    species: list[str]
    training: dict
    validation: dict
    kind: str


def validation_sets() -> list[TrainingSetData]:
    """Every ``TrainingSetData`` a workflow took or returned as its ``validation_set``, oldest first.

    The training workflow (``lps.training.iterative``) labels its validation structures once and returns them
    under this link label; a continued run takes them as an input of the same name.
    """
    found = {}
    for direction in ('with_incoming', 'with_outgoing'):  # taken as an input, returned as an output
        query = orm.QueryBuilder()
        query.append(TrainingSetData, tag='validation', project='*')
        query.append(orm.WorkflowNode, edge_filters={'label': VALIDATION_SET_LINK}, **{direction: 'validation'})
        found.update({node.pk: node for node in query.all(flat=True)})
    return [found[pk] for pk in sorted(found)]


def potential_errors(validation_set: TrainingSetData | None = None) -> list[PotentialErrors]:
    """Every stored potential of a kind with a fitter (GAP, SNAP, POD, ...) with its training RMSEs and its RMSEs
    on held-out validation sets, oldest first.

    Validation errors are the ``metrics`` output (meV/atom, eV/Angstrom) of any process that took the potential and
    a validation set as inputs (the training workflow runs ``evaluate_potential`` for this).

    :param validation_set: the held-out set to report; by default every set of :func:`validation_sets`.
    :return: one :class:`PotentialErrors` per potential.
    """
    held_out = [validation_set] if validation_set is not None else validation_sets()
    validation = {}
    for pk, set_uuid, metrics in _evaluations_on(held_out):
        validation.setdefault(pk, {})[set_uuid] = metrics
    types = potential_types()
    query = orm.QueryBuilder()
    query.append(tuple(types.values()), tag='potential',
                 project=['id', 'uuid', 'attributes.species', 'attributes.metrics', 'node_type'])
    query.order_by({'potential': {'id': 'asc'}})
    return [
        PotentialErrors(pk=pk, uuid=uuid, species=species or [], training=metrics or {},
                        validation=validation.get(pk, {}), kind=types[node_type].potential_kind)
        for pk, uuid, species, metrics, node_type in query.iterall()
    ]


def _evaluations_on(configuration_sets: list[TrainingSetData]) -> Iterator[tuple[int, str, dict]]:
    """``(potential pk, set uuid, metrics)`` of every process that evaluated a potential on one of the sets."""
    if not configuration_sets:
        return
    query = orm.QueryBuilder()
    query.append(tuple(potential_types().values()), tag='potential', project='id')
    query.append(orm.ProcessNode, with_incoming='potential', tag='evaluation')
    query.append(
        TrainingSetData, with_outgoing='evaluation', project='uuid',
        filters={'id': {'in': [node.pk for node in configuration_sets]}},
    )
    query.append(
        orm.Dict, with_incoming='evaluation', project='attributes',
        edge_filters={'label': METRICS_LINK, 'type': LinkType.CREATE.value},
    )
    yield from query.iterall()


# ---------------------------------------------------------------------------------------------------- conductivity
@dataclass(frozen=True)
class ConductivityResult:
    """One conductivity result at one temperature (an ensemble of one or more MD runs).

    :param pk: primary key of the result ``Dict``.
    :param uuid: its UUID.
    :param formula: reduced (Hill) formula of the simulated structures, e.g. ``Li3PS4``; the formulas of a mixed
        ensemble are joined by `` + ``.
    :param temperature_K: MD temperature, K.
    :param conductivity_S_per_cm: Nernst-Einstein conductivity of the mobile species, S/cm (None if not diffusive).
    :param conductivity_err_S_per_cm: its error, S/cm.
    :param diffusivity_cm2_per_s: tracer diffusion coefficient, cm^2/s (None if not diffusive).
    :param diffusivity_err_cm2_per_s: its error, cm^2/s.
    :param matrix_flowing: True when the P/S matrix flowed in any run (the value is then not a solid's).
    :param workflow_pk: primary key of the workflow that computed it (``lps.conductivity.arrhenius``), or None.
    """

    pk: int
    uuid: str
    formula: str
    temperature_K: float
    conductivity_S_per_cm: float | None
    conductivity_err_S_per_cm: float | None
    diffusivity_cm2_per_s: float | None
    diffusivity_err_cm2_per_s: float | None
    matrix_flowing: bool
    workflow_pk: int | None


def _formula_of_symbols(symbols) -> str:
    """Reduced Hill formula of a list of chemical symbols: ``['Li'] * 6 + ['P'] * 2 + ['S'] * 8`` -> ``Li3PS4``."""
    return Formula.from_list(list(symbols)).reduce()[0].format('hill')


def conductivity_results(
    formula: str | None = None, min_temperature_K: float = 0.0, max_temperature_K: float = math.inf
) -> list[ConductivityResult]:
    """Every conductivity result of a composition within a temperature range, sorted by temperature.

    Relies on: a conductivity result is a ``Dict`` with the attributes ``temperature_K`` (K) and
    ``conductivity_S_per_cm``, created by a calculation (``conductivity_at_temperature``, the
    ``conductivities.T<T>K`` outputs of ``lps.conductivity.arrhenius``) from the MD ``TrajectoryData`` it analysed;
    the composition is read from the trajectories' symbols.

    :param formula: any formula of the composition (``Li3PS4``, ``Li6P2S8``, ``PS4Li3`` are the same); None: all.
    :param min_temperature_K: lowest temperature included, K.
    :param max_temperature_K: highest temperature included, K.
    """
    wanted = None if formula is None else _reduced_hill_formula(formula)
    temperature = {'>=': float(min_temperature_K)}
    if math.isfinite(max_temperature_K):
        temperature = {'and': [temperature, {'<=': float(max_temperature_K)}]}
    query = orm.QueryBuilder()
    query.append(
        orm.Dict, tag='result', project=['id', 'uuid', 'attributes'],
        filters={'attributes': {'has_key': CONDUCTIVITY_KEY}, 'attributes.temperature_K': temperature},
    )
    query.append(orm.CalculationNode, with_outgoing='result', tag='analysis', project='id',
                 edge_filters={'type': LinkType.CREATE.value})
    query.append(orm.TrajectoryData, with_outgoing='analysis', project='attributes.symbols')

    results, formulas = {}, {}
    for pk, uuid, attributes, analysis_pk, symbols in query.iterall():
        formulas.setdefault(pk, set()).add(_formula_of_symbols(symbols))
        results[pk] = (uuid, attributes, analysis_pk)
    callers = _callers([analysis_pk for _, _, analysis_pk in results.values()])
    found = []
    for pk, (uuid, attributes, analysis_pk) in results.items():
        if wanted is not None and formulas[pk] != {wanted}:
            continue
        found.append(ConductivityResult(
            pk=pk, uuid=uuid, formula=' + '.join(sorted(formulas[pk])), temperature_K=attributes['temperature_K'],
            conductivity_S_per_cm=attributes[CONDUCTIVITY_KEY],
            conductivity_err_S_per_cm=attributes.get('conductivity_err_S_per_cm'),
            diffusivity_cm2_per_s=attributes.get('diffusivity_cm2_per_s'),
            diffusivity_err_cm2_per_s=attributes.get('diffusivity_err_cm2_per_s'),
            matrix_flowing=bool(attributes.get('matrix_flowing', False)), workflow_pk=callers.get(analysis_pk),
        ))
    return sorted(found, key=lambda result: (result.temperature_K, result.pk))


def _callers(process_pks: list[int]) -> dict[int, int]:
    """Process pk -> pk of the workflow that called it, for those of ``process_pks`` that a workflow called."""
    if not process_pks:
        return {}
    query = orm.QueryBuilder()
    query.append(orm.ProcessNode, filters={'id': {'in': process_pks}}, tag='process', project='id')
    query.append(orm.WorkflowNode, with_outgoing='process', project='id')
    return dict(query.all())


def _reduced_hill_formula(formula: str) -> str:
    """``Li6P2S8`` -> ``Li3PS4``; raises ``ValueError`` naming a formula ASE cannot read."""
    try:
        return Formula(formula).reduce()[0].format('hill')
    except ValueError as exception:
        raise ValueError(
            f'cannot read the formula {formula!r} ({exception}): write it like Li3PS4 or Li7P3S11'
        ) from None


# ---------------------------------------------------------------------------------------------------- lineage
@dataclass(frozen=True)
class LabelSource:
    """A calculation whose outputs were combined into a training set (e.g. the PwCalculation of one configuration).

    :param label: the configuration label: the combining input's link label without its first word
        (``parameters_li2s_a`` -> ``li2s_a``; ``training_set_from_pw`` names its inputs ``<kind>_<label>``;
        ``training_set_from_pw_md`` its trajectories ``trajectory_<segment>``, e.g. ``segment_2``).
    :param calculation: the ``CalcJobNode`` that computed the labels (a PwCalculation, or a PwMdCalculation whose
        MD frames became labels).
    :param training_set: the ``TrainingSetData`` its outputs were combined into.
    :param labelling: the workflow that combined them (``lps.labelling.dft``), or None for a standalone calcfunction.
    """

    label: str
    calculation: orm.CalcJobNode
    training_set: TrainingSetData
    labelling: orm.WorkflowNode | None


@dataclass(frozen=True)
class TrainingSetLineage:
    """Where the configurations of a training set came from, walked up through concatenations.

    :param training_set: the set the walk started from.
    :param training_sets: every ``TrainingSetData`` that went into it (itself first), depth first, older parents
        first.
    :param sources: the calculations that computed labels, one per calculation, by primary key.
    :param sets_without_provenance: sets of ``training_sets`` created by no process (read from files with
        ``from_extxyz`` or ``from_atoms``): their labels have no provenance in this profile.
    """

    training_set: TrainingSetData
    training_sets: tuple[TrainingSetData, ...]
    sources: tuple[LabelSource, ...]
    sets_without_provenance: tuple[TrainingSetData, ...]

    @property
    def calculations(self) -> list[orm.CalcJobNode]:
        """The label calculations (e.g. PwCalculations), by primary key."""
        return [source.calculation for source in self.sources]

    @property
    def labelling_workflows(self) -> list[orm.WorkflowNode]:
        """The distinct workflows that combined labels into training sets (e.g. DftLabellingWorkChains)."""
        unique = {source.labelling.pk: source.labelling for source in self.sources if source.labelling is not None}
        return [unique[pk] for pk in sorted(unique)]


def fitted_training_set(potential: PotentialData) -> TrainingSetData:
    """The ``training_set`` input of the fit (of ``lps.potential_fitters``, e.g. ``lps.gap_fit``) that created
    ``potential``."""
    fit = potential.creator
    if fit is None or 'training_set' not in fit.inputs:
        raise ValueError(
            f'{type(potential).__name__}<{potential.pk}> was not created by a fit with a training_set input in this '
            'profile (stored from a file?): import the archive that holds its fit'
        )
    return fit.inputs.training_set


def training_set_lineage(training_set: TrainingSetData) -> TrainingSetLineage:
    """Walk the provenance of ``training_set`` upward: concatenated sets, and the calculations that computed labels.

    Relies on: a set is created by a calculation (``concatenate_training_sets``, ``training_set_from_pw``,
    ``training_set_from_pw_md``) whose ``TrainingSetData`` inputs are walked in turn and whose other inputs created by
    a ``CalcJobNode`` (the PwCalculation's ``output_parameters`` and ``output_trajectory``, the PwMdCalculation's
    ``output_trajectory``) name that job as a label source.

    :return: a :class:`TrainingSetLineage`; sets used only for validation are not part of it.
    """
    visited, order, unrecorded, sources = set(), [], [], {}
    pending = [training_set]
    while pending:
        current = pending.pop()
        if current.pk in visited:
            continue
        visited.add(current.pk)
        order.append(current)
        creator = current.creator
        if creator is None:
            unrecorded.append(current)
            continue
        parents = sorted((link.node for link in creator.base.links.get_incoming(node_class=TrainingSetData).all()),
                         key=lambda node: node.pk)
        pending.extend(reversed(parents))  # the oldest parent is walked first
        for label, calculation in _label_calculations(creator):
            sources.setdefault(calculation.pk, LabelSource(label, calculation, current, creator.caller))
    return TrainingSetLineage(
        training_set=training_set, training_sets=tuple(order),
        sources=tuple(sources[pk] for pk in sorted(sources)), sets_without_provenance=tuple(unrecorded),
    )


def _label_calculations(combining: orm.ProcessNode) -> Iterator[tuple[str, orm.CalcJobNode]]:
    """``(label, CalcJobNode)`` for each input of ``combining`` created by a calculation job, by link label."""
    query = orm.QueryBuilder()
    query.append(orm.ProcessNode, filters={'id': combining.pk}, tag='combining')
    query.append(orm.Data, with_outgoing='combining', tag='input', edge_tag='link', edge_project='label')
    query.append(orm.CalcJobNode, with_outgoing='input', tag='calculation', project='*',
                 edge_filters={'type': LinkType.CREATE.value})
    query.order_by({'input': {'id': 'asc'}})
    for row in query.dict():
        link_label = row['link']['label']
        yield link_label.partition('_')[2] or link_label, row['calculation']['*']
