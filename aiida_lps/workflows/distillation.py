"""``PotentialDistillationWorkChain`` (``lps.training.distillation``): a fast potential taught by a GAP.

Indirect learning (issue 23, item 5; docs/fast_potential.md, "Distillation"): DFT gives tens of labels, too few for
a linear POD or SNAP to learn where the repulsive walls are, so its MD finds holes the data never showed. A GAP
fitted to the same DFT labels is smooth there and cheap to evaluate next to DFT, so it labels many MD frames of the
same configuration space, and the fast potential is fitted to the DFT labels plus all of them. Each round:

1. MD (``LammpsMdBaseWorkChain``: NVT, then NVE; ``aiida_lps.workflows.conductivity.md_parameters``) of every
   structure at every temperature, with the teacher in round 0 and the current fast potential after that, so
   the fast potential's own excursions are what the teacher labels next;
2. frames of the NVE runs (``trajectory_snapshots``), those with a pair closer than ``min_distance_A`` dropped,
   ``frames_per_round`` picked (``select_candidates``);
3. the teacher labels them (``label_with_potential``: tags ``source: gap`` and the GAP's UUID);
4. the fast potential is refitted to the DFT set plus every teacher label so far (``concatenate_training_sets``,
   then the kind's fitter of ``lps.potential_fitters``: ``PodFitCalculation`` on the LAMMPS code, or
   ``fit_snap_potential``) and evaluated on the DFT validation set.

The same fast potential is also fitted to the DFT labels alone; ``rmse_table`` puts both validation RMSEs, the
teacher's and every round's side by side. After the last fit the distilled potential runs the same MD once more,
as a check: lost atoms there end the work chain with exit 410 (outputs attached).

Label weights: fitpod has one energy and one force weight for all configurations, so for a POD every teacher label
counts as much as a DFT label and ``frames_per_round`` sets the balance. The SNAP fit multiplies the sigmas of
teacher labels by ``teacher_sigma_factor`` (``sigma_factors_by_source``).
"""
from __future__ import annotations

from aiida import orm
from aiida.engine import ToContext, WorkChain, if_, while_

from aiida_lps.calculations.fitters import potential_fitters
from aiida_lps.calculations.functions.concatenate_training_sets import (
    concatenate_training_sets,
)
from aiida_lps.calculations.functions.evaluate_potential import evaluate_potential
from aiida_lps.calculations.functions.label_with_potential import label_with_potential
from aiida_lps.calculations.functions.select_candidates import select_candidates
from aiida_lps.calculations.functions.trajectory_snapshots import trajectory_snapshots
from aiida_lps.calculations.lammps_md import LammpsMdCalculation
from aiida_lps.data.potentials import PotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.sampling.selection import SELECTION_METHODS
from aiida_lps.workflows.conductivity import (
    MD_SETTINGS,
    md_parameters,
    temperature_label,
)
from aiida_lps.workflows.labelling import closest_pair
from aiida_lps.workflows.lammps_md_base import LammpsMdBaseWorkChain, expose_md_inputs, md_base_inputs
from aiida_lps.workflows.protocols import ProtocolMixin

__all__ = ('PotentialDistillationWorkChain', 'md_failure', 'metrics_row')

#: Metrics kept in the RMSE table (``aiida_lps.analysis.errors.error_metrics`` keys).
TABLE_METRICS = ('energy_rmse_meV_per_atom', 'energy_rmse_offset_removed_meV_per_atom', 'force_rmse_eV_per_A',
                 'force_rmse_by_element', 'n_structures')
LOST_ATOMS = LammpsMdCalculation.exit_codes.ERROR_LOST_ATOMS.status


def metrics_row(metrics: dict) -> dict:
    """The ``TABLE_METRICS`` of an ``error_metrics`` dict (energies meV/atom, forces eV/Angstrom)."""
    return {key: metrics[key] for key in TABLE_METRICS if key in metrics}


def md_failure(node: orm.WorkflowNode) -> str | None:
    """None for a ``LammpsMdBaseWorkChain`` that finished ok; ``'lost atoms'`` when its last ``LammpsMdCalculation``
    lost atoms; otherwise its exit status and message."""
    if node.is_finished_ok:
        return None
    calculations = sorted((child for child in node.called if isinstance(child, orm.CalcJobNode)),
                          key=lambda child: child.ctime)
    if calculations and calculations[-1].exit_status == LOST_ATOMS:
        return 'lost atoms'
    return f'exit {node.exit_status}: {node.exit_message}'


def _format(metrics: dict | None) -> str:
    if not metrics:
        return 'n/a'
    return f'{metrics["force_rmse_eV_per_A"]:.3f} eV/A, {metrics["energy_rmse_meV_per_atom"]:.1f} meV/atom'


def distillable_fitters() -> dict:
    """The fitters of ``lps.potential_fitters`` the distillation can run, by kind: in-process or on its LAMMPS code
    (a GAP would need a gap_fit code)."""
    return {kind: fitter for kind, fitter in potential_fitters().items() if fitter.runs_on in (None, 'lmp')}


def validate_inputs(inputs, _):
    """Refuse what cannot run: an unknown fast kind or hyperparameters, a sigma factor fitpod cannot apply, a
    selection the teacher cannot do, no rounds or frames, MD settings without temperatures."""
    kind = inputs['fast_kind'].value
    fitters = distillable_fitters()
    if kind not in fitters:
        return f'fast_kind must be one of {sorted(fitters)}, got {kind!r}'
    try:
        fitters[kind].merge_hyperparameters(inputs['fast_parameters'].get_dict())
    except ValueError as error:
        return f'fast_parameters: {error}'
    if 'teacher_sigma_factor' in inputs:
        if not fitters[kind].weighs_by_source:
            weighted = sorted(name for name, fitter in fitters.items() if fitter.weighs_by_source)
            return (f'teacher_sigma_factor needs a fast_kind whose fit weighs labels by source ({weighted}): the '
                    f'{kind} fit weighs every configuration alike, so set the balance with frames_per_round instead')
        if inputs['teacher_sigma_factor'].value <= 0:
            return f'teacher_sigma_factor must be positive, got {inputs["teacher_sigma_factor"].value}'
    if inputs['rounds'].value < 1 or inputs['frames_per_round'].value < 1:
        return 'rounds and frames_per_round must be at least 1'
    method = inputs['selection_method'].value
    if method not in SELECTION_METHODS:
        return f'selection_method must be one of {SELECTION_METHODS}, got {method!r}'
    if method == 'uncertainty' and not inputs['teacher'].predicts_variance:
        return 'selection_method uncertainty needs a teacher with a predictive variance (a GAP)'
    temperatures = inputs['md']['temperatures_K'].get_list()
    if not temperatures or min(temperatures) <= 0:
        return f'md.temperatures_K must be a non-empty list of positive temperatures (K), got {temperatures}'
    if not inputs['structures']:
        return 'give at least one structure to explore'
    return None


class PotentialDistillationWorkChain(ProtocolMixin, WorkChain):
    """A POD or SNAP fitted to DFT labels plus teacher (GAP) labels of its own MD; see the module docstring."""

    _protocol_file = 'distillation.yaml'

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('teacher', valid_type=PotentialData, help='The potential that labels MD frames: the GAP.')
        spec.input('training_set', valid_type=TrainingSetData, help='The DFT labels (eV, eV/Angstrom).')
        spec.input('validation_set', valid_type=TrainingSetData, required=False,
                   help='Held-out DFT labels every fast potential (and the teacher) is evaluated on.')
        spec.input('reference_energies', valid_type=orm.Dict, required=False,
                   help='Isolated-atom energy per element, eV, passed to every fit.')
        spec.input_namespace('structures', valid_type=orm.StructureData, dynamic=True,
                             help='Cells to explore by MD (Angstrom), by label.')
        spec.input('lammps_code', valid_type=orm.AbstractCode, help='LAMMPS (lmp).')
        spec.input('fast_kind', valid_type=orm.Str, default=lambda: orm.Str('pod'),
                   help='A kind of lps.potential_fitters: pod, snap.')
        spec.input('fast_parameters', valid_type=orm.Dict, default=lambda: orm.Dict({}),
                   help='Hyperparameters of the fast potential over its defaults (docs/fast_potential.md).')
        spec.input('teacher_sigma_factor', valid_type=orm.Float, required=False,
                   help='SNAP only: every sigma of a teacher label is this times that of a DFT label.')
        spec.input('rounds', valid_type=orm.Int, help='Rounds of explore, label, refit.')
        spec.input('frames_per_round', valid_type=orm.Int, help='Teacher-labelled frames added per round.')
        spec.input('selection_method', valid_type=orm.Str, default=lambda: orm.Str('random'),
                   help=f'How the frames of a round are picked: {", ".join(SELECTION_METHODS)}.')
        spec.input('min_distance_A', valid_type=orm.Float, default=lambda: orm.Float(1.2),
                   help='Frames with two atoms closer than this (Angstrom) are not labelled.')
        spec.input('seed', valid_type=orm.Int, default=lambda: orm.Int(1),
                   help='Velocity seed of MD run k of round r: seed + 1000 r + k; selection seed: seed + r.')
        spec.input('md.temperatures_K', valid_type=orm.List, help='MD temperatures, K.')
        for name in MD_SETTINGS:
            spec.input(f'md.{name}', valid_type=orm.Float,
                       help='MD setting of aiida_lps.workflows.conductivity.md_parameters (unit in the name).')
        expose_md_inputs(spec, 'lammps_md', 'Inputs of every LammpsMdBaseWorkChain, e.g. lammps.metadata.options.')
        spec.inputs.validator = validate_inputs

        spec.outline(
            cls.setup,
            cls.fit_dft_only,
            cls.inspect_dft_only_fit,
            while_(cls.should_explore)(
                cls.explore,
                cls.collect,
                if_(cls.has_frames)(
                    cls.label,
                    cls.fit,
                    cls.inspect_fit,
                ),
            ),
            cls.results,
        )
        spec.output('potential', valid_type=PotentialData, help='The distilled fast potential (last round).')
        spec.output('dft_only_potential', valid_type=PotentialData,
                    help='The same fast potential fitted to the DFT labels alone.')
        spec.output('training_set', valid_type=TrainingSetData,
                    help='DFT labels plus every teacher label (tags source: dft / gap).')
        spec.output_namespace('rounds', dynamic=True,
                              help='round_<n>: potential and teacher_labels of each round.')
        spec.output('rmse_table', valid_type=orm.Dict,
                    help='Validation (and training) RMSEs of the teacher, the DFT-only and every distilled fit '
                         '(meV/atom, eV/Angstrom), the MD outcome of every run, per round.')

        spec.exit_code(210, 'ERROR_SPECIES_NOT_COVERED',
                       message='the {what} covers {covered} but the structures to explore also have {missing}')
        spec.exit_code(310, 'ERROR_TEACHER_MD_FAILED',
                       message='no MD run with the teacher finished, so there is nothing to label: {failures}')
        spec.exit_code(311, 'ERROR_FIT_FAILED', message='fitting the {kind} to {what} failed: {error}')
        spec.exit_code(312, 'ERROR_MD_FAILED',
                       message='the MD of the distilled potential failed other than by losing atoms: {failures}')
        spec.exit_code(410, 'WARNING_DISTILLED_MD_LOST_ATOMS',
                       message='the distilled {kind}<{pk}> lost atoms in MD ({runs}); outputs are attached')

    @classmethod
    def get_builder_from_protocol(cls, lammps_code, teacher, training_set, structures: dict, *,
                                  validation_set=None, reference_energies=None, protocol: str | None = None,
                                  overrides: dict | None = None, options: dict | None = None):
        """Builder from ``protocols/distillation.yaml`` (``fast`` or ``workstation``; ``overrides`` by key).

        :param structures: label -> StructureData to explore.
        :param options: ``metadata.options`` of every LAMMPS run (resources, ``max_wallclock_seconds`` in s).
        """
        inputs = cls.get_protocol_inputs(protocol, overrides)
        builder = cls.get_builder()
        builder.lammps_code, builder.teacher, builder.training_set = lammps_code, teacher, training_set
        builder.structures = structures
        if validation_set is not None:
            builder.validation_set = validation_set
        if reference_energies is not None:
            builder.reference_energies = reference_energies
        builder.fast_kind = orm.Str(inputs['fast_kind'])
        builder.fast_parameters = orm.Dict(inputs['fast_parameters'])
        if inputs['teacher_sigma_factor'] is not None:
            builder.teacher_sigma_factor = orm.Float(inputs['teacher_sigma_factor'])
        builder.rounds, builder.frames_per_round = orm.Int(inputs['rounds']), orm.Int(inputs['frames_per_round'])
        builder.selection_method = orm.Str(inputs['selection_method'])
        builder.min_distance_A, builder.seed = orm.Float(inputs['min_distance_A']), orm.Int(inputs['seed'])
        builder.md = {'temperatures_K': orm.List(inputs['temperatures_K']),
                      **{name: orm.Float(inputs[name]) for name in MD_SETTINGS}}
        if options:
            builder.lammps_md.lammps.metadata.options = options
        return builder

    # ------------------------------------------------------------------ start
    def setup(self):
        """Check species; the fit parameters (with the teacher's sigma factor); the first MD runs the teacher."""
        explored = {symbol for structure in self.inputs.structures.values() for symbol in structure.get_symbols_set()}
        for what, covered in (('teacher', self.inputs.teacher.species),
                              ('DFT training set', self.inputs.training_set.species)):
            missing = sorted(explored - set(covered))
            if missing:
                return self.exit_codes.ERROR_SPECIES_NOT_COVERED.format(what=what, covered=covered, missing=missing)
        self.ctx.kind = self.inputs.fast_kind.value
        self.ctx.source = self.inputs.teacher.potential_kind.lower()
        self.ctx.fit_parameters = self.inputs.fast_parameters
        if 'teacher_sigma_factor' in self.inputs:
            parameters = self.inputs.fast_parameters.get_dict()
            parameters['sigma_factors_by_source'] = {
                **parameters.get('sigma_factors_by_source', {}),
                self.ctx.source: self.inputs.teacher_sigma_factor.value,
            }
            self.ctx.fit_parameters = orm.Dict(parameters)
        self.ctx.round = 0
        self.ctx.lost_atoms = []
        self.ctx.driver = self.inputs.teacher
        self.ctx.training_set = self.inputs.training_set
        self.ctx.potential = None
        self.ctx.rows = []
        self.ctx.stop = False
        self.ctx.table = {'kind': self.ctx.kind, 'teacher': {'uuid': self.inputs.teacher.uuid}}
        if 'validation_set' in self.inputs:
            self.ctx.table['teacher']['validation'] = self._validation(self.inputs.teacher, 'validation_teacher')
        self.report(f'distilling {self.inputs.teacher.potential_kind}<{self.inputs.teacher.pk}> into a '
                    f'{self.ctx.kind.upper()}: {self.inputs.rounds.value} round(s) of MD of '
                    f'{sorted(self.inputs.structures)} at {self.inputs.md.temperatures_K.get_list()} K, '
                    f'{self.inputs.frames_per_round.value} teacher labels per round; teacher validation RMSE '
                    f'{_format(self.ctx.table["teacher"].get("validation"))}')
        return None

    def _validation(self, potential, link_label: str) -> dict | None:
        """Table metrics of ``potential`` on the validation set (calcfunction), or None without one."""
        if 'validation_set' not in self.inputs:
            return None
        metrics = evaluate_potential(potential, self.inputs.validation_set, metadata={'call_link_label': link_label})
        return metrics_row(metrics['metrics'].get_dict())

    def _launch_fit(self, training_set, link_label: str, what: str):
        """Start the fast potential's fit to ``training_set`` (its fitter, on ``lammps_code`` if it runs LAMMPS) into
        ``ctx.fit``, or the exit code of a fit that raised; ``what`` names the labels in the message."""
        fitter = potential_fitters()[self.ctx.kind]
        try:
            node = fitter.launch(self, link_label, training_set, parameters=self.ctx.fit_parameters,
                                 reference_energies=self.inputs.get('reference_energies'),
                                 code=self.inputs.lammps_code if fitter.runs_on == 'lmp' else None)
        except (RuntimeError, ValueError) as error:  # a calcfunction fit raises
            return self.exit_codes.ERROR_FIT_FAILED.format(kind=self.ctx.kind.upper(), what=what, error=error)
        return ToContext(fit=node)

    def _fit_failure(self, what: str):
        """The exit code of ``ctx.fit`` if it failed, else None; ``what`` names the labels in the message."""
        node = self.ctx.fit
        if node.is_finished_ok:
            return None
        return self.exit_codes.ERROR_FIT_FAILED.format(
            kind=self.ctx.kind.upper(), what=what,
            error=f'{node.process_label}<{node.pk}> exit {node.exit_status}: {node.exit_message}')

    def fit_dft_only(self):
        """The fast potential of the DFT labels alone: the comparison the distilled one has to beat."""
        return self._launch_fit(self.inputs.training_set, 'fit_dft_only', 'the DFT labels')

    def inspect_dft_only_fit(self):
        """Keep the DFT-only potential and its training and validation RMSEs."""
        failure = self._fit_failure('the DFT labels')
        if failure:
            return failure
        potential = self.ctx.dft_only = self.ctx.fit.outputs.potential
        self.ctx.table['dft_only'] = {'uuid': potential.uuid,
                                      'train': metrics_row(self.ctx.fit.outputs.metrics.get_dict()),
                                      'validation': self._validation(potential, 'validation_dft_only')}
        self.out('dft_only_potential', potential)
        self.report(f'{type(potential).__name__}<{potential.pk}> of the {self.inputs.training_set.num_structures} DFT '
                    f'labels alone: validation RMSE {_format(self.ctx.table["dft_only"]["validation"])}')
        return None

    # ------------------------------------------------------------------ rounds
    def should_explore(self):
        """Rounds 0 .. rounds - 1 explore for labels; one more MD checks the last fit."""
        return not self.ctx.stop and self.ctx.round <= self.inputs.rounds.value

    def explore(self):
        """MD of every structure at every temperature with the current driver, all at once."""
        settings = {name: self.inputs.md[name].value for name in MD_SETTINGS}
        futures, index = {}, 0
        for label, structure in sorted(self.inputs.structures.items()):
            for temperature_K in self.inputs.md.temperatures_K.get_list():
                key = f'{label}_{temperature_label(temperature_K)}'
                seed = self.inputs.seed.value + 1000 * self.ctx.round + index
                # a potential with a hole loses atoms at any time step: record it, do not retry with a shorter one
                inputs = md_base_inputs(self.exposed_inputs(LammpsMdBaseWorkChain, namespace='lammps_md'),
                                        f'md_round_{self.ctx.round}_{key}', retry_lost_atoms=False,
                                        code=self.inputs.lammps_code, structure=structure, potential=self.ctx.driver,
                                        parameters=md_parameters(temperature_K, seed, **settings))
                futures[f'md_{key}'] = self.submit(LammpsMdBaseWorkChain, **inputs)
                index += 1
        self.ctx.md_keys = sorted(futures)
        checking = self.ctx.round == self.inputs.rounds.value
        self.report(f'round {self.ctx.round}: {len(futures)} MD runs with {type(self.ctx.driver).__name__}'
                    f'<{self.ctx.driver.pk}>{" (the check of the final fit)" if checking else ""}')
        return ToContext(**futures)

    def collect(self):
        """Frames of the finished runs, too-close ones dropped, this round's pick; failures recorded and reported."""
        row = {'round': self.ctx.round, 'driver_uuid': self.ctx.driver.uuid, 'md': {}}
        candidates, too_close = {}, 0
        for key in self.ctx.md_keys:
            node = self.ctx[key]
            failure = md_failure(node)
            row['md'][key.removeprefix('md_')] = failure or 'ok'
            if failure:
                self.report(f'round {self.ctx.round}: {node.process_label}<{node.pk}> ({key}): {failure}')
                continue
            snapshots = trajectory_snapshots(node.outputs.trajectory,
                                             metadata={'call_link_label': f'snapshots_{self.ctx.round}_{key}'})
            for name, structure in snapshots.items():
                if closest_pair(structure)[0] < self.inputs.min_distance_A.value:
                    too_close += 1
                else:
                    candidates[f'r{self.ctx.round}_{key.removeprefix("md_")}_{name}'] = structure
        row['n_candidates'], row['n_too_close'] = len(candidates), too_close
        self.ctx.rows.append(row)
        failures = {key: outcome for key, outcome in row['md'].items() if outcome != 'ok'}
        self.report(f'round {self.ctx.round}: {len(candidates)} frames, {too_close} with a pair closer than '
                    f'{self.inputs.min_distance_A.value} A, {len(failures)} of {len(row["md"])} runs failed')
        if self.ctx.round > 0:
            lost = sorted(key for key, outcome in failures.items() if outcome == 'lost atoms')
            if failures and not lost:
                return self.exit_codes.ERROR_MD_FAILED.format(failures=failures)
            self.ctx.lost_atoms = lost  # those of the last fit's MD when the loop ends
        self.ctx.selected = {}
        if self.ctx.round < self.inputs.rounds.value and candidates:
            self.ctx.selected = self._select(candidates)
        if self.ctx.round == 0 and not self.ctx.selected:
            return self.exit_codes.ERROR_TEACHER_MD_FAILED.format(
                failures=failures or f'all {too_close} frames too close or already labelled')
        if not self.ctx.selected:
            self.ctx.stop = True
            if self.ctx.round < self.inputs.rounds.value:
                self.report(f'round {self.ctx.round}: nothing to label (every run failed or came too close); stopping')
        return None

    def _select(self, candidates: dict) -> dict:
        """This round's ``frames_per_round`` candidates (``select_candidates``), by label."""
        parameters = {'method': self.inputs.selection_method.value, 'count': self.inputs.frames_per_round.value,
                      'seed': self.inputs.seed.value + self.ctx.round}
        teacher = {'potential': self.inputs.teacher} if self.inputs.teacher.predicts_variance else {}
        selection = select_candidates(self.ctx.training_set, orm.Dict(parameters), **teacher, **candidates,
                                      metadata={'call_link_label': f'select_round_{self.ctx.round}'})
        return {label.removeprefix('selected_'): node for label, node in selection.items()
                if label.startswith('selected_')}

    def has_frames(self):
        return bool(self.ctx.selected)

    def label(self):
        """Label this round's frames with the teacher and append them to the training set."""
        labels = label_with_potential(self.inputs.teacher, **self.ctx.selected,
                                      metadata={'call_link_label': f'label_round_{self.ctx.round}'})
        row = self.ctx.rows[-1]
        row['n_teacher_labels'] = labels.num_structures
        if self.ctx.potential is not None:
            previous = evaluate_potential(self.ctx.potential, labels,
                                          metadata={'call_link_label': f'new_labels_previous_{self.ctx.round}'})
            row['new_labels_previous_fit'] = metrics_row(previous['metrics'].get_dict())
        self.out(f'rounds.round_{self.ctx.round}.teacher_labels', labels)
        self.ctx.training_set = concatenate_training_sets(
            set_0=self.ctx.training_set, set_1=labels, metadata={'call_link_label': f'append_round_{self.ctx.round}'})
        self.report(f'round {self.ctx.round}: {labels.num_structures} frames labelled by the teacher; previous fit on '
                    f'them {_format(row.get("new_labels_previous_fit"))}; {self.ctx.training_set.num_structures} '
                    'configurations to fit')

    def fit(self):
        """Refit the fast potential to the DFT and teacher labels."""
        return self._launch_fit(self.ctx.training_set, f'fit_round_{self.ctx.round}',
                                f'the labels of round {self.ctx.round}')

    def inspect_fit(self):
        """Evaluate the refitted potential; it drives the next MD."""
        failure = self._fit_failure(f'the labels of round {self.ctx.round}')
        if failure:
            return failure
        row, potential = self.ctx.rows[-1], self.ctx.fit.outputs.potential
        row.update(potential_uuid=potential.uuid, n_training=self.ctx.training_set.num_structures,
                   train=metrics_row(self.ctx.fit.outputs.metrics.get_dict()),
                   validation=self._validation(potential, f'validation_round_{self.ctx.round}'))
        self.ctx.potential = self.ctx.driver = potential
        self.out(f'rounds.round_{self.ctx.round}.potential', potential)
        self.report(f'round {self.ctx.round}: {type(potential).__name__}<{potential.pk}> validation RMSE '
                    f'{_format(row["validation"])} (DFT labels alone: '
                    f'{_format(self.ctx.table["dft_only"]["validation"])})')
        self.ctx.round += 1
        return None

    # ------------------------------------------------------------------ end
    def results(self):
        """Outputs, the RMSE table; exit 410 when the last distilled potential's MD lost atoms."""
        fitted = [row for row in self.ctx.rows if 'potential_uuid' in row]
        self.ctx.table['rounds'] = self.ctx.rows
        if fitted:
            self.ctx.table['distilled'] = {key: fitted[-1][key] for key in ('potential_uuid', 'train', 'validation')}
        self.out('rmse_table', orm.Dict(self.ctx.table).store())
        self.out('potential', self.ctx.potential)
        self.out('training_set', self.ctx.training_set)
        self.report(f'validation RMSE: teacher {_format(self.ctx.table["teacher"].get("validation"))}; DFT only '
                    f'{_format(self.ctx.table["dft_only"]["validation"])}; distilled '
                    f'{_format(fitted[-1]["validation"])}')
        if self.ctx.lost_atoms:
            return self.exit_codes.WARNING_DISTILLED_MD_LOST_ATOMS.format(
                kind=self.ctx.kind.upper(), pk=self.ctx.potential.pk, runs=', '.join(self.ctx.lost_atoms))
        return None
