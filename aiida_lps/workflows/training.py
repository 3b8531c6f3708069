"""``IterativeTrainingWorkChain`` (``lps.training.iterative``): grow a training set and a GAP together.

The self-consistent training of the thesis (seed 000, sections 5.2-5.5; SPEC section 3). One generation:

explore with the current GAP (MD snapshots, rattled/strained copies, P-P distance scans, random structures, glasses
sampled with the GAP and their MD) -> select candidates
(calcfunction: random, farthest-point sampling on SOAP, or GAP predictive variance) -> DFT-label them
(``DftLabellingWorkChain``) -> append them to the training set (calcfunction) -> refit (``GapFitCalculation``) ->
evaluate the previous and the new GAP on the new labels, and the new GAP on a fixed validation set -> decide.

Stages (e.g. crystal MD, then P2S6^4- scans) run in order; each runs until its convergence force RMSE improved by
less than ``force_rmse_tolerance_eV_per_A`` for ``patience`` consecutive generations, or until
``max_generations``. The convergence force RMSE is that of the new GAP on the validation set when one is given,
otherwise that of the previous GAP on the newly labelled configurations (an error on data it has not seen).

Failed MD runs and failed DFT labels are reported and skipped; the loop continues. All state lives in the
context, so a run restarts from its checkpoints; a finished run is continued from its outputs (training set,
GAP, validation set) by a new run built with ``get_builder_continuation``, which labels nothing twice.

The explorers live in ``explorers.py``, the stage definitions, checks and verdicts in ``stages.py``.
"""
from __future__ import annotations

from aiida import orm
from aiida.engine import ToContext, WorkChain, if_, while_

from aiida_lps.calculations.functions.concatenate_training_sets import concatenate_training_sets
from aiida_lps.calculations.functions.evaluate_potential import evaluate_potential
from aiida_lps.calculations.functions.plot_training_history import plot_training_history_png
from aiida_lps.calculations.functions.select_candidates import select_candidates
from aiida_lps.calculations.fitters import potential_fitters
from aiida_lps.calculations.gap_fit import GapFitCalculation
from aiida_lps.data.potentials import PotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.gap import GAP_PRESETS
from aiida_lps.workflows.isolated_atoms import IsolatedAtomEnergiesWorkChain, isolated_atom
from aiida_lps.workflows.labelling import DftLabellingWorkChain, closest_pair, label_settings_mismatch
from aiida_lps.workflows.lammps_md_base import expose_md_inputs
from aiida_lps.workflows.explorers import EXPLORERS, created_nodes, derived_seed, run_calcfunction
from aiida_lps.workflows.protocols import ProtocolMixin, recursive_merge
from aiida_lps.workflows.stages import (SELECTOR_DEFAULTS, STAGE_DEFAULTS, built_placeholder, resume_point,
                                        stage_message, stage_verdict)

__all__ = ('IterativeTrainingWorkChain',)

#: RMSE keys copied from the full metrics into the table (meV/atom, eV/Angstrom).
TABLE_METRICS = (
    'energy_rmse_meV_per_atom', 'energy_rmse_offset_removed_meV_per_atom', 'force_rmse_eV_per_A',
    'force_rmse_by_element', 'force_rmse_by_motif', 'n_structures',
)
#: The kind of the training's main potential (``lps.potential_fitters``): the GAP, fitted with the ``gap_fit``
#: inputs; every other kind is fitted alongside it with ``<kind>_parameters``.
MAIN_KIND = 'gap'


def side_fitters() -> dict:
    """The fitters of ``lps.potential_fitters`` fitted alongside the main GAP (``<kind>_parameters``), by kind."""
    return {kind: fitter for kind, fitter in potential_fitters().items() if kind != MAIN_KIND}


def fit_codes(inputs) -> dict:
    """The codes a fit may run on, by program (``PotentialFitter.runs_on``): the training's LAMMPS and gap_fit."""
    return {'lmp': inputs.get('lammps_code'), 'gap_fit': inputs['gap_fit'].get('code')}


def validate_box(box, _):
    if len(box) != 3 or min(box) < 5.0:
        return f'isolated_atom_box_A must be three box edges of at least 5 Angstrom, got {box.get_list()}'
    return None


def validate_generations_per_run(value, _):
    if value.value < 0:
        return f'max_generations_per_run must be 0 (label and fit only) or more, got {value.value}'
    return None


def validate_stages(stages, _):
    """At least one stage, with unique names (the rest is checked with the structures by ``validate_inputs``)."""
    stages = stages.get_list()
    if not stages:
        return 'give at least one stage'
    names = [stage.get('name') for stage in stages]
    if len(set(names)) != len(names):
        return f'stage names must be unique, got {names}'
    return None


def linear_parameters_validator(kind: str):
    """Port validator of ``<kind>_parameters``: known hyperparameters of that fast potential only."""
    merge = potential_fitters()[kind].merge_hyperparameters

    def validate(parameters, _):
        try:
            merge(parameters.get_dict())
        except ValueError as exception:
            return f'{kind}_parameters: {exception}'
        return None

    return validate


def validate_inputs(inputs, _):
    """Check that there is training data, that continuation inputs fit together and that stages can start."""
    has_set, has_initial = 'training_set' in inputs, bool(inputs.get('initial_structures'))
    if not has_set and not has_initial:
        return 'give a training_set or initial_structures to label: the first GAP needs data'
    if 'potential' in inputs and (not has_set or has_initial):
        return 'a potential continues a run: give it with the training_set it was fitted to and no initial_structures'
    if 'previous_rmse_table' in inputs and 'potential' not in inputs:
        return 'previous_rmse_table continues a run: give it with that run\'s potential and training_set'
    for name in ('training_set', 'validation_set'):
        message = label_settings_mismatch(inputs[name], inputs['labelling']) if name in inputs else None
        if message:
            return f'{name}: {message}'
    for kind, fitter in side_fitters().items():
        if f'{kind}_parameters' in inputs and fitter.runs_on and fit_codes(inputs)[fitter.runs_on] is None:
            return f'{kind}_parameters: the {kind.upper()} is fitted with {fitter.runs_on}: give its code'
    structures = inputs.get('structures', {})
    for index, stage in enumerate(inputs['stages'].get_list()):
        message = stage_message(index, stage, set(structures))
        if message:
            return message
        labels = stage.get('structures') or list(structures)
        for definition in stage['explorers']:
            explorer = EXPLORERS[definition['type']]
            md = explorer.md_settings(explorer.settings(definition))
            if md is not None and 'lammps_code' not in inputs:
                return f'stage {stage["name"]} runs MD: give lammps_code'
            if md is not None and md['potential'] != MAIN_KIND and f'{md["potential"]}_parameters' not in inputs:
                kind = md['potential']
                return f'stage {stage["name"]} runs MD with the {kind.upper()}: give {kind}_parameters'
            if not explorer.needs_structures:
                continue
            for label in labels:
                message = explorer.validate_structure(label, structures[label])
                if message:
                    return f'stage {stage["name"]}: {message}'
    return None


def _table_metrics(metrics: dict) -> dict:
    """The RMSEs of ``metrics`` kept in the table."""
    return {key: metrics[key] for key in TABLE_METRICS if key in metrics}


def _format_rmse(metrics: dict | None) -> str:
    if not metrics:
        return '-'
    return f'{metrics["force_rmse_eV_per_A"]:.3f} eV/A, {metrics["energy_rmse_meV_per_atom"]:.1f} meV/atom'


class IterativeTrainingWorkChain(ProtocolMixin, WorkChain):
    """Self-consistent GAP training: explore, select, DFT-label, refit, evaluate, repeat per stage."""

    _protocol_file = 'training.yaml'

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input_namespace(
            'structures', valid_type=orm.StructureData, dynamic=True, required=False,
            help='Starting structures of the explorers (Angstrom), by label; stages refer to these labels. Not needed '
            'when every explorer builds its own structures (glass).',
        )
        spec.input('stages', valid_type=orm.List, validator=validate_stages,
                   help='Stage definitions run in order: name, structures, explorers, selector, max_generations, '
                   'patience, force_rmse_tolerance_eV_per_A (eV/Angstrom); see docs/training.md.')
        spec.input('training_set', valid_type=TrainingSetData, required=False,
                   help='Labelled configurations to start from (e.g. the training_set output of a previous run).')
        spec.input_namespace('initial_structures', valid_type=orm.StructureData, dynamic=True, required=False,
                             help='Structures DFT-labelled before the first fit and added to the training set.')
        spec.input('potential', valid_type=PotentialData, required=False,
                   help='The GAP fitted to training_set: a continued run starts from it instead of refitting.')
        spec.input('validation_set', valid_type=TrainingSetData, required=False,
                   help='Labelled configurations never trained on; every new GAP is evaluated on them.')
        spec.input_namespace('validation_structures', valid_type=orm.StructureData, dynamic=True, required=False,
                             help='Structures DFT-labelled once at the start to form the validation set.')
        spec.input('seed', valid_type=orm.Int, default=lambda: orm.Int(1),
                   help='Seed from which every MD, perturbation and selection seed is derived.')
        spec.input('previous_rmse_table', valid_type=orm.Dict, required=False,
                   help='The rmse_table of the run this one continues (set by get_builder_continuation): its '
                   'generations head this run\'s table, and the run resumes at the first stage they do not finish.')
        spec.input('max_generations_per_run', valid_type=orm.Int, required=False,
                   validator=validate_generations_per_run,
                   help='Pause after this many generations (a piece of a campaign that must fit an allocation; 0: only '
                   'label the initial sets and fit): the run ends with its outputs and get_builder_continuation '
                   'resumes it where it paused.')
        spec.input('lammps_code', valid_type=orm.AbstractCode, required=False, help='LAMMPS with pair_style quip.')
        spec.input('isolated_atom_box_A', valid_type=orm.List, required=False, validator=validate_box,
                   help='If given (three box edges, Angstrom, e.g. [12, 12.5, 13]): label one isolated atom per '
                   'element in such a box first (IsolatedAtomEnergiesWorkChain, same labelling settings) and subtract '
                   'their energies in every fit (gap_fit e0, SNAP, POD); not needed when gap_fit.reference_energies '
                   'is given.')
        for kind in side_fitters():
            spec.input(f'{kind}_parameters', valid_type=orm.Dict, required=False,
                       validator=linear_parameters_validator(kind),
                       help=f'If given, a fast {kind.upper()} with these hyperparameters (docs/fast_potential.md) is '
                       'fitted to every training set a GAP is fitted to and evaluated on the same validation set.')
        spec.expose_inputs(
            DftLabellingWorkChain, namespace='labelling', exclude=('structures', 'tags'),
            namespace_options={'validator': None, 'help': 'Inputs of every DftLabellingWorkChain.'},
        )
        spec.expose_inputs(
            GapFitCalculation, namespace='gap_fit', exclude=('training_set',),
            namespace_options={'validator': None, 'help': 'Inputs of every GapFitCalculation.'},
        )
        expose_md_inputs(spec, 'md', 'Inputs of every LammpsMdBaseWorkChain of the MD explorers: e.g. '
                         'lammps.metadata.options (resources, wall time), max_iterations, handler_overrides.')
        spec.inputs.validator = validate_inputs

        spec.outline(
            cls.setup,
            if_(cls.needs_reference_energies)(cls.label_isolated_atoms, cls.inspect_isolated_atoms),
            if_(cls.has_structures_to_label)(cls.label_initial_sets, cls.inspect_initial_sets),
            if_(cls.needs_initial_fit)(cls.fit, cls.inspect_fit),
            cls.evaluate_starting_potential,
            while_(cls.has_stage)(
                cls.start_stage,
                while_(cls.stage_continues)(
                    cls.explore,
                    cls.select,
                    if_(cls.has_selection)(cls.label, cls.inspect_labels),
                    if_(cls.has_new_labels)(cls.fit, cls.inspect_fit, cls.evaluate_generation),
                    cls.finish_generation,
                ),
            ),
            cls.results,
        )

        spec.output_namespace('generations', dynamic=True,
                              valid_type=(PotentialData, TrainingSetData, orm.Dict),
                              help='Per generation (gen_<n>): potential, training_set, rmse (Dict) and, with '
                              '<kind>_parameters (e.g. snap_parameters), <kind>_potential.')
        spec.output('potential', valid_type=PotentialData, help='The final GAP.')
        for kind, fitter in side_fitters().items():
            spec.output(f'{kind}_potential', valid_type=fitter.data_type, required=False,
                        help=f'The {kind.upper()} fitted to the final training set (with {kind}_parameters).')
        spec.output('training_set', valid_type=TrainingSetData, help='The final training set.')
        spec.output('validation_set', valid_type=TrainingSetData, required=False, help='The validation set used.')
        spec.output('reference_energies', valid_type=orm.Dict, required=False,
                    help='Isolated-atom energies (eV per element) subtracted in every fit.')
        spec.output('rmse_table', valid_type=orm.Dict,
                    help='Per generation: counts, RMSEs (meV/atom, eV/Angstrom; per element), why each stage stopped.')
        spec.output('plot', valid_type=orm.SinglefileData, required=False,
                    help='PNG: RMSE against generation and the force parity of the final GAP.')

        spec.exit_code(210, 'ERROR_SPECIES_NOT_COVERED',
                       message='the GAP covers {covered} but the structures to explore or the glasses to sample also '
                       'contain {missing}: add labelled configurations with these species to the training set')
        spec.exit_code(310, 'ERROR_INITIAL_LABELLING_FAILED',
                       message='DFT labelling of the {which} failed: {reason}')
        spec.exit_code(320, 'ERROR_GAP_FIT_FAILED', message='GapFitBaseWorkChain<{pk}> failed: {reason}')
        spec.exit_code(321, 'ERROR_FIT_FAILED',
                       message='the {kind} fit {process}<{pk}> failed: {reason}; fix or drop {kind}_parameters')
        spec.exit_code(410, 'WARNING_TRAINING_NOT_CONVERGED',
                       message='stage(s) {stages} reached max_generations before the force RMSE stopped improving; '
                       'the outputs are attached: continue the run or accept the GAP')
        spec.exit_code(411, 'WARNING_TRAINING_STALLED',
                       message='stage(s) {stages} labelled nothing for `patience` generations (see the failures in '
                       'rmse_table): give better starting data or gentler explorers; the outputs are attached')

    @classmethod
    def get_builder_from_protocol(cls, pw_code, gap_fit_code, structures: dict, *, lammps_code=None,
                                  protocol: str | None = None, overrides: dict | None = None,
                                  initial_structures: dict | None = None, validation_structures: dict | None = None,
                                  training_set=None, validation_set=None):
        """Builder for a new run with the ``fast``, ``precise`` or ``workstation`` protocol (``training.yaml``).

        :param structures: label -> StructureData explored by the stages; may be empty when every explorer builds its
            own structures (glass).
        :param overrides: protocol keys to change: ``stages`` (a full list), ``seed``, ``gap_preset``,
            ``gap_parameters``, ``force_sigma``, ``snap_parameters``, ``pod_parameters``, ``labelling_protocol``,
            ``labelling_overrides``.
        :param initial_structures: label -> StructureData labelled before the first fit.
        :param validation_structures: label -> StructureData labelled once as the validation set.
        """
        inputs = cls.get_protocol_inputs(protocol, overrides)
        labelled_like = (structures or initial_structures or validation_structures
                         or built_placeholder(inputs['stages']))
        labelling = DftLabellingWorkChain.get_builder_from_protocol(
            pw_code, labelled_like, protocol=inputs['labelling_protocol'], overrides=inputs['labelling_overrides']
        )
        builder = cls.get_builder()
        builder.labelling = {key: value for key, value in labelling._inputs(prune=True).items() if key != 'structures'}
        builder.gap_fit.code = gap_fit_code
        builder.gap_fit.update(cls.gap_fit_settings(inputs))
        for kind in side_fitters():
            if inputs.get(f'{kind}_parameters') is not None:
                builder[f'{kind}_parameters'] = orm.Dict(inputs[f'{kind}_parameters'])
        if lammps_code is not None:
            builder.lammps_code = lammps_code
        builder.structures = structures
        builder.stages = orm.List(inputs['stages'])
        builder.seed = orm.Int(inputs['seed'])
        if inputs['isolated_atom_box_A'] is not None:
            builder.isolated_atom_box_A = orm.List(inputs['isolated_atom_box_A'])
        optional = {'initial_structures': initial_structures, 'validation_structures': validation_structures,
                    'training_set': training_set, 'validation_set': validation_set}
        for name, value in optional.items():
            if value:
                builder[name] = value
        return builder

    @staticmethod
    def gap_fit_settings(inputs: dict) -> dict:
        """The ``gap_fit`` inputs ``parameters`` and, if given, ``force_sigma`` of protocol ``inputs``."""
        parameters = recursive_merge(GAP_PRESETS[inputs['gap_preset']], inputs['gap_parameters'])
        settings = {'parameters': orm.Dict(parameters)}
        if inputs['force_sigma']:
            settings['force_sigma'] = orm.Dict(inputs['force_sigma'])
        return settings

    @classmethod
    def get_builder_continuation(cls, node: orm.WorkflowNode, stages: list | None = None):
        """Builder continuing the finished (or paused) run ``node`` from its training set, GAP and validation set.

        Codes, labelling and fit settings, structures and seed are those of ``node``; nothing is relabelled. The run
        resumes at the first stage that ``node``'s generations (and those of the runs it continued) do not finish.

        :param stages: stage definitions of the continuation; by default those of ``node``.
        """
        builder = node.get_builder_restart()
        for name in ('initial_structures', 'validation_structures'):
            builder.pop(name, None)
        builder.training_set = node.outputs.training_set
        builder.potential = node.outputs.potential
        builder.previous_rmse_table = node.outputs.rmse_table
        if 'validation_set' in node.outputs:
            builder.validation_set = node.outputs.validation_set
        if 'reference_energies' in node.outputs:
            builder.gap_fit.reference_energies = node.outputs.reference_energies
        if stages is not None:
            builder.stages = orm.List(stages)
        return builder

    # ------------------------------------------------------------------ start
    def setup(self):
        """Counters, the starting training set and GAP, and the table of generations."""
        self.ctx.stage_index = -1
        self.ctx.table = []
        self.ctx.stage_outcomes = {}
        self.ctx.resume_history = None
        self.ctx.generations_run = 0
        self.ctx.paused = None
        if 'previous_rmse_table' in self.inputs:
            self.ctx.table = self.inputs.previous_rmse_table['generations']
            index, self.ctx.resume_history = resume_point(self.inputs.stages.get_list(), self.ctx.table)
            self.ctx.stage_index = index - 1
        self.ctx.training_set = self.inputs.get('training_set')
        self.ctx.potential = self.inputs.get('potential')
        self.ctx.validation_set = self.inputs.get('validation_set')
        self.ctx.reference_energies = self.inputs.gap_fit.get('reference_energies')
        self.ctx.new_labels = None
        self.ctx.generation = 0
        if self.ctx.training_set is not None:
            self.ctx.generation = max(int(tags.get('generation', 0)) for tags in self.ctx.training_set.get_tags())
        self.ctx.start_counts = {}

    def needs_reference_energies(self):
        return 'isolated_atom_box_A' in self.inputs and self.ctx.reference_energies is None

    def label_isolated_atoms(self):
        """Label one isolated atom of every element to explore, with the labelling settings of the training."""
        elements = sorted(self._explored_elements())
        inputs = self.exposed_inputs(DftLabellingWorkChain, namespace='labelling')
        box_A = self.inputs.isolated_atom_box_A.get_list()
        inputs.update(structures={element: isolated_atom(element, box_A) for element in elements},
                      metadata={'call_link_label': 'isolated_atom_energies'})
        future = self.submit(IsolatedAtomEnergiesWorkChain, **inputs)
        self.report(f'labelling isolated atoms of {", ".join(elements)}: IsolatedAtomEnergiesWorkChain<{future.pk}>')
        return ToContext(isolated_atoms=future)

    def inspect_isolated_atoms(self):
        """Keep the reference energies; without them the fits would not be those asked for, so stop."""
        child = self.ctx.isolated_atoms
        if not child.is_finished_ok:
            return self.exit_codes.ERROR_INITIAL_LABELLING_FAILED.format(
                which='isolated atoms', reason=f'IsolatedAtomEnergiesWorkChain<{child.pk}> exit {child.exit_status}: '
                f'{child.exit_message}')
        self.ctx.reference_energies = child.outputs.reference_energies
        return None

    def has_structures_to_label(self):
        return bool(self.inputs.get('initial_structures')) or bool(self.inputs.get('validation_structures'))

    def _submit_labelling(self, structures: dict, tags: dict, link_label: str):
        inputs = self.exposed_inputs(DftLabellingWorkChain, namespace='labelling')
        inputs.update(structures=structures, tags=orm.Dict(tags), metadata={'call_link_label': link_label})
        return self.submit(DftLabellingWorkChain, **inputs)

    def label_initial_sets(self):
        """Label the initial and the validation structures with DFT, in parallel."""
        tags = {'generation': self.ctx.generation, 'stage': 'initial'}
        futures = {}
        for name in ('initial_structures', 'validation_structures'):
            if self.inputs.get(name):
                futures[name] = self._submit_labelling(dict(self.inputs[name]), tags, f'label_{name}')
                self.report(f'labelling {len(self.inputs[name])} {name.replace("_", " ")}: '
                            f'DftLabellingWorkChain<{futures[name].pk}>')
        return ToContext(**{f'labelled_{name}': future for name, future in futures.items()})

    def inspect_initial_sets(self):
        """Keep what was labelled; stop if a set needed to start could not be labelled at all."""
        for name in ('initial_structures', 'validation_structures'):
            if f'labelled_{name}' not in self.ctx:
                continue
            child = self.ctx[f'labelled_{name}']
            target = 'validation_set' if name == 'validation_structures' else 'training_set'
            if not child.is_finished_ok:
                reason = f'DftLabellingWorkChain<{child.pk}> exit {child.exit_status}: {child.exit_message}'
                if self.ctx[target] is None:
                    return self.exit_codes.ERROR_INITIAL_LABELLING_FAILED.format(which=name, reason=reason)
                self.report(f'no {name} could be labelled ({reason}); starting from the given {target}')
                continue
            summary = child.outputs.summary.get_dict()
            self.ctx.start_counts[name] = {'n_labelled': summary['n_labelled'], 'n_failed': summary['n_failed']}
            labelled = child.outputs.training_set
            if self.ctx[target] is None:
                self.ctx[target] = labelled
            else:  # a given (e.g. salvaged) set, completed with the structures labelled now
                self.ctx[target] = self._append(self.ctx[target], labelled, f'append_{name}')
        return None

    @staticmethod
    def _append(first: TrainingSetData, labelled: TrainingSetData, link_label: str) -> TrainingSetData:
        """``first`` followed by ``labelled`` (calcfunction)."""
        return run_calcfunction(concatenate_training_sets, link_label, set_0=first, set_1=labelled).outputs.result

    def needs_initial_fit(self):
        """A first fit: of the GAP unless a continued run was given one fitted to its training set, and of every
        kind with parameters."""
        return self._needs_gap_fit() or bool(self._side_kinds())

    def _needs_gap_fit(self) -> bool:
        """No GAP yet, or a continued GAP fitted to another training set than this run's (a campaign piece that
        appends the labels of a salvaged one) or with other ``gap_fit`` settings (``parameters``, ``force_sigma``;
        those the fit was launched with, before any out-of-memory reduction): it is refitted before the stages
        resume. A GAP without a ``GapFitCalculation`` behind it (imported from an xml) is taken as it is."""
        if self.ctx.potential is None:
            return True
        fit = self.ctx.potential.creator
        if fit is None or 'training_set' not in fit.inputs:
            return False
        launched = fit.caller if fit.caller is not None and fit.caller.process_label == 'GapFitBaseWorkChain' else fit
        inputs = launched.inputs.gap_fit if 'gap_fit' in launched.inputs else launched.inputs

        def settings(namespace):
            return {name: namespace[name].get_dict() if name in namespace else None
                    for name in ('parameters', 'force_sigma')}

        return (fit.inputs['training_set'].uuid != self.ctx.training_set.uuid
                or settings(inputs) != settings(self.inputs.gap_fit))

    def _side_kinds(self) -> list[str]:
        """The kinds fitted alongside the GAP: those with ``<kind>_parameters``."""
        return [kind for kind in side_fitters() if f'{kind}_parameters' in self.inputs]

    # ------------------------------------------------------------------ fit
    def fit(self):
        """Fit every kind to the current training set at once, each with its ``lps.potential_fitters`` fitter: the
        GAP (``GapFitBaseWorkChain``: fewer sparse points if out of memory), except at the start of a run continued
        from a GAP fitted to its training set, and each kind with ``<kind>_parameters``."""
        generation, futures = self.ctx.generation, {}
        if self.ctx.new_labels is not None or self._needs_gap_fit():
            futures['fit'] = self._launch_fit(MAIN_KIND, f'gap_fit_gen_{generation}',
                                              **self.exposed_inputs(GapFitCalculation, namespace='gap_fit'))
        for kind in self._side_kinds():
            futures[f'fit_{kind}'] = self._launch_fit(kind, f'{kind}_fit_gen_{generation}',
                                                      parameters=self.inputs[f'{kind}_parameters'])
        fits = ', '.join(f'{node.process_label}<{node.pk}>' for node in futures.values())
        self.report(f'gen {generation}: fitting {fits} to {self.ctx.training_set.num_structures} configurations')
        return ToContext(**futures)

    def _launch_fit(self, kind: str, link_label: str, **inputs):
        """Start the fit of ``kind`` to the current training set, with the reference energies and the code it runs
        on; ``inputs`` (``parameters``, ...) go to its fitter."""
        fitter = potential_fitters()[kind]
        common = {'reference_energies': self.ctx.reference_energies, 'code': fit_codes(self.inputs).get(fitter.runs_on)}
        return fitter.launch(self, link_label, self.ctx.training_set, **{**inputs, **common})

    def inspect_fit(self):
        """A fit that failed ends the run: without a GAP there is nothing to explore with, and a kind asked for would
        be missing from the outputs."""
        fit = self.ctx.get('fit')
        if fit is not None and not fit.is_finished_ok:
            return self.exit_codes.ERROR_GAP_FIT_FAILED.format(
                pk=fit.pk, reason=f'exit {fit.exit_status}: {fit.exit_message}'
            )
        for kind in self._side_kinds():
            node = self.ctx[f'fit_{kind}']
            if not node.is_finished_ok:
                return self.exit_codes.ERROR_FIT_FAILED.format(
                    kind=kind, process=node.process_label, pk=node.pk,
                    reason=f'exit {node.exit_status}: {node.exit_message}')
        if fit is None:
            return None
        self.ctx.new_potential = fit.outputs.potential
        return self._check_species(fit.outputs.potential)

    def _explored_elements(self) -> set:
        """Elements of the structures to explore and of the structures the explorers build (glasses)."""
        elements = {symbol for structure in self.inputs.get('structures', {}).values()
                    for symbol in structure.get_symbols_set()}
        for stage in self.inputs.stages.get_list():
            for definition in stage['explorers']:
                explorer = EXPLORERS[definition['type']]
                elements |= set(explorer.built_composition(explorer.settings(definition)))
        return elements

    def _check_species(self, potential):
        missing = sorted(self._explored_elements() - set(potential.species))
        if missing:
            return self.exit_codes.ERROR_SPECIES_NOT_COVERED.format(covered=potential.species, missing=missing)
        return None

    # ------------------------------------------------------------------ evaluate
    def _metrics(self, potential, configurations, link_label: str) -> tuple[dict, orm.ArrayData]:
        """Metrics (and parity arrays) of ``potential`` on labelled ``configurations`` (calcfunction)."""
        outputs = run_calcfunction(evaluate_potential, f'evaluate_{link_label}', potential, configurations).outputs
        return outputs.metrics.get_dict(), outputs.parity

    def evaluate_starting_potential(self):
        """The generation the stages start from: the first fit, or the GAP a continued run was given."""
        generation = self.ctx.generation
        if 'fit' in self.ctx:
            self.ctx.potential = self.ctx.new_potential
            train = self.ctx.fit.outputs.metrics.get_dict()
        else:
            exit_code = self._check_species(self.ctx.potential)
            if exit_code:
                return exit_code
            train = self.ctx.potential.metrics
            self.report(f'continuing from {type(self.ctx.potential).__name__}<{self.ctx.potential.pk}> and '
                        f'{self.ctx.training_set.num_structures} labelled configurations: nothing is relabelled')
        continued = 'previous_rmse_table' in self.inputs
        row = {'generation': generation, 'stage': 'refit' if continued else 'start',
               'n_training': self.ctx.training_set.num_structures,
               'continued': 'fit' not in self.ctx, 'rmse': {'train': _table_metrics(train)}}
        for name, counts in self.ctx.start_counts.items():
            row[name] = counts
        if self.ctx.validation_set is not None:
            validation, self.ctx.parity = self._metrics(
                self.ctx.potential, self.ctx.validation_set, f'validation_gen_{generation}'
            )
            row['rmse']['validation'] = _table_metrics(validation)
            self.ctx.parity_label = f'validation set, GAP of generation {generation}'
        row['convergence_force_rmse_eV_per_A'] = row['rmse'].get('validation', {}).get('force_rmse_eV_per_A')
        self._evaluate_side_fits(row)
        self.report(f'gen {generation} [start]: {row["n_training"]} training configurations; RMSE train '
                    f'{_format_rmse(row["rmse"]["train"])}; validation {_format_rmse(row["rmse"].get("validation"))}')
        if 'fit' in self.ctx:
            self._output_generation(row)
        if not continued or 'fit' in self.ctx:  # a continued run's start is its predecessor's last row
            self.ctx.table.append(row)
        return None

    # ------------------------------------------------------------------ stages
    def _pause_if_due(self, stage_name: str) -> bool:
        """Pause before the next generation (of ``stage_name``) once ``max_generations_per_run`` have run."""
        limit = self.inputs.get('max_generations_per_run')
        if limit is None or self.ctx.generations_run < limit.value:
            return False
        self.ctx.paused = {'stage': stage_name, 'after_generation': self.ctx.generation}
        self.report(f'pausing before the next generation of stage {stage_name} ({limit.value} generation(s) per run): '
                    'continue with get_builder_continuation')
        return True

    def has_stage(self):
        stages = self.inputs.stages.get_list()
        if self.ctx.paused is not None or self.ctx.stage_index + 1 >= len(stages):
            return False
        return not self._pause_if_due(stages[self.ctx.stage_index + 1]['name'])

    def _stage(self) -> dict:
        return {**STAGE_DEFAULTS, **self.inputs.stages.get_list()[self.ctx.stage_index]}

    def start_stage(self):
        self.ctx.stage_index += 1
        stage = self._stage()
        measured = [row['convergence_force_rmse_eV_per_A'] for row in self.ctx.table
                    if row['convergence_force_rmse_eV_per_A'] is not None]
        self.ctx.stage_history = [measured[-1] if measured else None]
        self.ctx.stage_verdict = None
        if self.ctx.resume_history is not None:
            self.ctx.stage_history, self.ctx.resume_history = self.ctx.resume_history, None
            self.report(f'stage {stage["name"]} resumes after {len(self.ctx.stage_history) - 1} generation(s)')
        self.report(f'stage {stage["name"]}: explorers {[e["type"] for e in stage["explorers"]]}, selector '
                    f'{stage["selector"]}, at most {stage["max_generations"]} generation(s)')

    def stage_continues(self):
        return self.ctx.stage_verdict is None and not self._pause_if_due(self._stage()['name'])

    def explore(self):
        """Start every explorer of the stage from its structures with the current GAP."""
        self.ctx.generation += 1
        self.ctx.row = {'generation': self.ctx.generation, 'stage': self._stage()['name']}
        self.ctx.new_labels = None
        self.ctx.selected = {}
        stage = self._stage()
        inputs = self.inputs.get('structures', {})
        structures = {label: inputs[label] for label in stage['structures'] or list(inputs)}
        awaitables = {}
        self.ctx.explored = {}
        for index, definition in enumerate(stage['explorers']):
            explorer = EXPLORERS[definition['type']]
            seed = derived_seed(self.inputs.seed.value, self.ctx.generation, index)
            launched = explorer.launch(self, structures, explorer.settings(definition), self.ctx.potential, seed)
            self.ctx.explored[definition['type']] = sorted(launched)
            awaitables.update({f'explore_{definition["type"]}_{key}': node for key, node in launched.items()})
        return ToContext(**awaitables)

    def select(self):
        """Collect the explorers' candidates, drop those DFT cannot label, choose which to label (calcfunction).
        Configurations an explorer labelled itself (``aimd``) join the training set here, unselected."""
        stage, row = self._stage(), self.ctx.row
        candidates, failures, counts, explored_labels = {}, {}, {}, {}
        for definition in stage['explorers']:
            explorer = EXPLORERS[definition['type']]
            launched = {key: self.ctx[f'explore_{explorer.name}_{key}'] for key in self.ctx.explored[explorer.name]}
            found, failed = explorer.collect(self, launched, explorer.settings(definition))
            (explored_labels if explorer.labels_itself else candidates).update(found)
            failures.update(failed)
            counts[explorer.name] = (sum(labels.num_structures for labels in found.values()) if explorer.labels_itself
                                     else len(found))
        for key, reason in failures.items():
            self.report(f'gen {self.ctx.generation}: exploration {key} failed and is skipped: {reason}')
        selector = {**SELECTOR_DEFAULTS, **stage['selector']}
        too_close = self._too_close(candidates, selector['min_distance_A'])
        row.update(n_candidates=len(candidates), candidates_by_explorer=counts, exploration_failures=failures,
                   too_close=too_close, n_duplicates=0, n_selected=0)
        self._add_explored_labels(explored_labels)
        labellable = {label: structure for label, structure in candidates.items() if label not in too_close}
        if not labellable:
            if candidates or not explored_labels:
                self.report(f'gen {self.ctx.generation}: no labellable candidates ({len(candidates)} found, '
                            f'{len(too_close)} with atoms too close)')
            return
        parameters = {key: selector[key] for key in ('method', 'count', 'soap')}
        if selector['max_per_run'] is not None:
            parameters['max_per_run'] = selector['max_per_run']
        parameters['seed'] = derived_seed(self.inputs.seed.value, self.ctx.generation, 1000)
        node = run_calcfunction(
            select_candidates, f'select_gen_{self.ctx.generation}', training_set=self.ctx.training_set,
            parameters=orm.Dict(parameters), potential=self.ctx.potential, **labellable,
        )
        selection = node.outputs.selection.get_dict()
        self.ctx.selected = {label.removeprefix('selected_'): structure
                             for label, structure in created_nodes(node).items() if label.startswith('selected_')}
        row.update(n_duplicates=len(selection['duplicates']), n_selected=len(selection['selected']))
        self.report(f'gen {self.ctx.generation}: {len(candidates)} candidates {counts}, {len(too_close)} with atoms '
                    f'too close, {len(selection["duplicates"])} already labelled, {len(selection["selected"])} '
                    f'selected ({selector["method"]})')

    def _add_explored_labels(self, explored_labels: dict):
        """Append the configurations the explorers labelled themselves (key -> TrainingSetData) to the training set;
        they are the generation's first new labels (``n_explorer_labelled`` in its row)."""
        if not explored_labels:
            return
        generation, sets = self.ctx.generation, [explored_labels[key] for key in sorted(explored_labels)]
        labels = sets[0] if len(sets) == 1 else run_calcfunction(
            concatenate_training_sets, f'explored_labels_gen_{generation}',
            **{f'set_{index}': labels for index, labels in enumerate(sets)}).outputs.result
        self.ctx.new_labels = labels
        self.ctx.training_set = self._append(self.ctx.training_set, labels, f'append_explored_gen_{generation}')
        self.ctx.row.update(n_explorer_labelled=labels.num_structures, n_labelled=labels.num_structures)
        self.report(f'gen {generation}: {labels.num_structures} configurations labelled by the explorers themselves '
                    f'({", ".join(sorted(explored_labels))}) added without relabelling')

    def _too_close(self, candidates: dict, min_distance_A: float) -> dict:
        """Candidates with two atoms closer than ``min_distance_A`` or the labelling ``min_distance``, with why."""
        min_distance = max(min_distance_A, self.inputs.labelling.min_distance.value)
        too_close = {}
        for label, structure in candidates.items():
            distance, pair = closest_pair(structure)
            if distance < min_distance:
                too_close[label] = f'atoms {pair} only {distance:.2f} Angstrom apart (< {min_distance})'
        return too_close

    def has_selection(self):
        return bool(self.ctx.selected)

    def label(self):
        """DFT-label the selected structures."""
        tags = {'generation': self.ctx.generation, 'stage': self._stage()['name']}
        future = self._submit_labelling(self.ctx.selected, tags, f'label_gen_{self.ctx.generation}')
        self.report(f'gen {self.ctx.generation}: labelling {len(self.ctx.selected)} structures: '
                    f'DftLabellingWorkChain<{future.pk}>')
        return ToContext(labelling=future)

    def inspect_labels(self):
        """Append the converged labels to the training set; failed ones are reported and left out."""
        row, child = self.ctx.row, self.ctx.labelling
        if 'summary' in child.outputs:
            failures = child.outputs.summary.get_dict()['failed']
        else:
            reason = f'DftLabellingWorkChain<{child.pk}> exit {child.exit_status}: {child.exit_message}'
            failures = {'labelling': reason}
        if child.is_finished_ok:
            labelled, generation = child.outputs.training_set, self.ctx.generation
            self.ctx.training_set = self._append(self.ctx.training_set, labelled, f'append_gen_{generation}')
            self.ctx.new_labels = (labelled if self.ctx.new_labels is None  # else after the explorers' own labels
                                   else self._append(self.ctx.new_labels, labelled, f'new_labels_gen_{generation}'))
        n_labelled = 0 if self.ctx.new_labels is None else self.ctx.new_labels.num_structures
        row.update(n_labelled=n_labelled, n_failed=len(failures), label_failures=failures)
        self.report(f'gen {self.ctx.generation}: {n_labelled} labelled, {len(failures)} failed'
                    + ''.join(f'; excluded `{label}`' for label in failures))

    def has_new_labels(self):
        return self.ctx.new_labels is not None

    def evaluate_generation(self):
        """Previous and new GAP on the new labels; new GAP on the validation set."""
        generation, row = self.ctx.generation, self.ctx.row
        rmse = {'train': _table_metrics(self.ctx.fit.outputs.metrics.get_dict())}
        old, _ = self._metrics(self.ctx.potential, self.ctx.new_labels, f'new_labels_old_gap_gen_{generation}')
        new, parity = self._metrics(self.ctx.new_potential, self.ctx.new_labels, f'new_labels_new_gap_gen_{generation}')
        rmse.update(new_labels_old_potential=_table_metrics(old), new_labels_new_potential=_table_metrics(new))
        self.ctx.parity, self.ctx.parity_label = parity, f'new labels of generation {generation}, refitted GAP'
        if self.ctx.validation_set is not None:
            validation, self.ctx.parity = self._metrics(self.ctx.new_potential, self.ctx.validation_set,
                                                        f'validation_gen_{generation}')
            rmse['validation'] = _table_metrics(validation)
            self.ctx.parity_label = f'validation set, GAP of generation {generation}'
        row['rmse'] = rmse
        self.ctx.potential = self.ctx.new_potential
        self._evaluate_side_fits(row)
        self.report(
            f'gen {generation}: RMSE train {_format_rmse(rmse["train"])}; new labels {_format_rmse(old)} (previous '
            f'GAP) -> {_format_rmse(new)} (new GAP); validation {_format_rmse(rmse.get("validation"))}'
        )

    def _evaluate_side_fits(self, row: dict):
        """The potential of each kind fitted alongside the GAP (SNAP, POD, ...) becomes that kind's current one; its
        RMSEs go to ``row['rmse_<kind>']``."""
        generation = row['generation']
        for kind in self._side_kinds():
            fit = self.ctx[f'fit_{kind}']
            potential = self.ctx[f'{kind}_potential'] = fit.outputs.potential
            rmse = {'train': _table_metrics(fit.outputs.metrics.get_dict())}
            if self.ctx.validation_set is not None:
                validation, _ = self._metrics(potential, self.ctx.validation_set,
                                              f'validation_{kind}_gen_{generation}')
                rmse['validation'] = _table_metrics(validation)
            row[f'rmse_{kind}'] = rmse
            self.report(f'gen {generation}: {type(potential).__name__}<{potential.pk}> RMSE train '
                        f'{_format_rmse(rmse["train"])}; validation {_format_rmse(rmse.get("validation"))}')

    def finish_generation(self):
        """Record the generation, output it, and decide whether the stage goes on."""
        stage, row = self._stage(), self.ctx.row
        row.setdefault('n_labelled', 0)
        row.setdefault('n_failed', 0)
        row['n_training'] = self.ctx.training_set.num_structures
        rmse = row.get('rmse', {})
        metric = rmse.get('validation' if self.ctx.validation_set is not None else 'new_labels_old_potential', {})
        row['convergence_force_rmse_eV_per_A'] = metric.get('force_rmse_eV_per_A')
        self.ctx.stage_history.append(row['convergence_force_rmse_eV_per_A'])
        verdict = stage_verdict(self.ctx.stage_history, stage['force_rmse_tolerance_eV_per_A'], stage['patience'],
                                stage['max_generations'])
        if self.ctx.new_labels is not None:
            self._output_generation(row)
        else:
            self.report(f'gen {self.ctx.generation}: no new labels; the GAP is unchanged')
        self.ctx.table.append(row)
        if verdict is not None:
            tolerance = stage['force_rmse_tolerance_eV_per_A']
            reasons = {
                'converged': f'the convergence force RMSE improved by less than {tolerance} eV/A for '
                             f'{stage["patience"]} generation(s)',
                'max_generations': f'it reached max_generations = {stage["max_generations"]} without converging',
                'stalled': f'the last {stage["patience"]} generation(s) labelled nothing',
            }
            self.ctx.stage_outcomes[stage['name']] = {'verdict': verdict, 'reason': reasons[verdict],
                                                      'last_generation': self.ctx.generation}
            self.report(f'stage {stage["name"]} stops after generation {self.ctx.generation}: {reasons[verdict]}')
        self.ctx.stage_verdict = verdict
        self.ctx.generations_run += 1

    def _output_generation(self, row: dict):
        namespace = f'generations.gen_{row["generation"]}'
        self.out(f'{namespace}.potential', self.ctx.potential)
        self.out(f'{namespace}.training_set', self.ctx.training_set)
        self.out(f'{namespace}.rmse', orm.Dict(row).store())
        for kind in side_fitters():
            if f'rmse_{kind}' in row:
                self.out(f'{namespace}.{kind}_potential', self.ctx[f'{kind}_potential'])

    # ------------------------------------------------------------------ end
    def results(self):
        """Final GAP, training set, RMSE table and plot; a warning exit if a stage did not converge."""
        self.out('potential', self.ctx.potential)
        self.out('training_set', self.ctx.training_set)
        if self.ctx.validation_set is not None:
            self.out('validation_set', self.ctx.validation_set)
        if self.ctx.reference_energies is not None:
            self.out('reference_energies', self.ctx.reference_energies)
        for kind in side_fitters():
            if f'{kind}_potential' in self.ctx:
                self.out(f'{kind}_potential', self.ctx[f'{kind}_potential'])
        previous = self.inputs.previous_rmse_table['stages'] if 'previous_rmse_table' in self.inputs else {}
        table = {'generations': self.ctx.table, 'stages': {**previous, **self.ctx.stage_outcomes}}
        if self.ctx.paused is not None:
            table['paused'] = self.ctx.paused
        table = orm.Dict(table).store()
        self.out('rmse_table', table)
        if 'parity' in self.ctx:
            plot = run_calcfunction(plot_training_history_png, 'plot', table, self.ctx.parity,
                                    orm.Str(self.ctx.parity_label))
            self.out('plot', plot.outputs.result)
        verdicts = {name: outcome['verdict'] for name, outcome in self.ctx.stage_outcomes.items()}
        stalled = [name for name, verdict in verdicts.items() if verdict == 'stalled']
        if stalled:
            return self.exit_codes.WARNING_TRAINING_STALLED.format(stages=', '.join(stalled))
        unconverged = [name for name, verdict in verdicts.items() if verdict == 'max_generations']
        if unconverged:
            return self.exit_codes.WARNING_TRAINING_NOT_CONVERGED.format(stages=', '.join(unconverged))
        return None
