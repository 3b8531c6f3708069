"""``LpsStudyWorkChain`` (``lps.study``): the whole study of one crystal, from DFT labels to a convex hull.

The main job of the package (``aiida-lps quickstart`` runs it with the ``fast`` protocol): one process whose
descendants are every step, so that ``aiida-lps report PK`` and ``verdi archive create`` take the study as a whole.

1. training: rattled and strained copies of the crystal are DFT-labelled and fitted, and the GAP is improved by
   ``IterativeTrainingWorkChain`` (MD with the current GAP -> random snapshots -> pw.x -> refit);

then, at the same time, with the trained GAP:

2. glass: ``GlassSamplingWorkChain`` samples a small glass ensemble (motifs, RDFs);
3. conductivity: ``ArrheniusWorkChain`` runs MD of the crystal at several temperatures and fits E_A and
   sigma(300 K);
4. composition: ``CompositionSweepWorkChain`` removes Li2S (or P2S5) units from the crystal with the GA, relaxes
   the best candidates with pw.x and places them on the convex hull of the Li2S-P2S5 line (end members: the
   library's Li2S and P2S5 cells, relaxed with the same settings).

A training run that ends with a warning (410: not converged in ``max_generations``; 411: stalled) still hands its
GAP on; the report says so. A step of 2-4 that fails is reported while the others finish, and the study ends with
exit 311 naming what failed, so nothing already computed is lost.
"""
from __future__ import annotations

from aiida import orm
from aiida.engine import ToContext, WorkChain

from aiida_lps.calculations.functions.perturbed_structures import perturbed_structures
from aiida_lps.structures.crystals import get_crystal, list_crystals
from aiida_lps.workflows.composition import CompositionSweepWorkChain
from aiida_lps.workflows.composition import validate_inputs as validate_composition
from aiida_lps.workflows.conductivity import ArrheniusWorkChain, validate_temperatures
from aiida_lps.workflows.glass import GlassSamplingWorkChain
from aiida_lps.workflows.protocols import ProtocolMixin
from aiida_lps.workflows.stages import stage_message
from aiida_lps.workflows.training import IterativeTrainingWorkChain

__all__ = ('LpsStudyWorkChain',)

#: Exit statuses of the training after which its GAP is still used (outputs attached, a warning).
TRAINING_WARNINGS = (
    IterativeTrainingWorkChain.exit_codes.WARNING_TRAINING_NOT_CONVERGED.status,
    IterativeTrainingWorkChain.exit_codes.WARNING_TRAINING_STALLED.status,
)
SECTIONS = ('crystal', 'seed', 'training', 'glass', 'conductivity', 'composition')
#: The steps that run at the same time with the trained GAP.
STEPS = ('glass', 'conductivity', 'composition')
#: The codes whose CalcJobs take ``metadata.options`` from the study's ``options``.
CODES = ('pw', 'gap_fit', 'lmp')


def validate_parameters(parameters, _):
    """Known sections and a crystal of the library."""
    parameters = parameters.get_dict()
    unknown = set(parameters) - set(SECTIONS)
    if unknown:
        return f'unknown study parameters {sorted(unknown)}; known: {list(SECTIONS)}'
    missing = set(SECTIONS) - set(parameters)
    if missing:
        return f'study parameters miss {sorted(missing)}'
    if parameters['crystal'] not in list_crystals():
        return f'crystal {parameters["crystal"]!r} is not in the library: {list_crystals()}'
    message = validate_temperatures(orm.List(parameters['conductivity']['temperatures_K']), None)
    if message:
        return f'conductivity temperatures_K: {message}'
    return _sub_protocol_message(parameters)


def validate_options(options, _):
    """Options only for the study's codes."""
    unknown = sorted(set(options or {}) - set(CODES))
    if unknown:
        return f'options for unknown codes {unknown}: give metadata.options per code, keyed by {list(CODES)}'
    return None


def training_stages(settings: dict) -> list:
    """The stages of the training protocol named in ``settings['stages']`` (all if None), exploring the crystal.

    :raises ValueError: for an unknown protocol or stage name.
    """
    stages = IterativeTrainingWorkChain.get_protocol_inputs(settings['protocol'], settings['overrides'])['stages']
    names = [stage['name'] for stage in stages]
    if settings['stages'] is not None:
        unknown = sorted(set(settings['stages']) - set(names))
        if unknown:
            raise ValueError(f'stages {unknown} are not in the {settings["protocol"]} training protocol: {names}')
        stages = [stage for stage in stages if stage['name'] in settings['stages']]
    return [{**stage, 'structures': None} for stage in stages]


def _sub_protocol_message(parameters: dict) -> str | None:
    """What the training, glass, conductivity and composition work chains would refuse in their settings, or None.

    Checked before the study starts, so that a bad setting of a late step does not cost the training.
    """
    try:
        stages = training_stages(parameters['training'])
        IterativeTrainingWorkChain.get_builder().stages = orm.List(stages)
    except ValueError as error:
        return f'training: {error}'
    for index, stage in enumerate(stages):
        message = stage_message(index, stage, {'crystal'})
        if message:
            return f'training: {message}'
    settings = parameters['glass']
    try:
        glass = GlassSamplingWorkChain.get_protocol_inputs(settings['protocol'], settings['overrides'])
        GlassSamplingWorkChain.get_builder().update(GlassSamplingWorkChain.protocol_namespaces(glass))
    except (ValueError, KeyError) as error:
        return f'glass: {error}'
    settings = parameters['conductivity']
    try:
        conductivity = ArrheniusWorkChain.get_protocol_inputs(settings['protocol'], settings['overrides'])
        ArrheniusWorkChain.get_builder().md = ArrheniusWorkChain.md_inputs(conductivity)
    except (ValueError, KeyError) as error:
        return f'conductivity: {error}'
    settings = parameters['composition']
    try:
        composition = CompositionSweepWorkChain.get_protocol_inputs(settings['protocol'], settings['overrides'])
        inputs = {**CompositionSweepWorkChain.protocol_namespaces(composition), 'n_steps': orm.Int(settings['n_steps']),
                  'structure': orm.StructureData(ase=get_crystal(parameters['crystal']))}
    except (ValueError, KeyError) as error:
        return f'composition: {error}'
    message = validate_composition(inputs, None)
    return f'composition: {message}' if message else None


def _glass_headlines(outputs) -> dict:
    return {'motif_fractions': outputs.motif_fractions.get_dict()} if 'motif_fractions' in outputs else {}


def _conductivity_headlines(outputs) -> dict:
    if 'result' not in outputs:
        return {}
    result = outputs.result.get_dict()
    return {key: result.get(key) for key in ('activation_energy_eV', 'activation_energy_err_eV',
                                             'conductivity_300K_S_per_cm', 'conductivity_300K_interval_S_per_cm',
                                             'confidence')}


def _composition_headlines(outputs) -> dict:
    """Miscibility gaps and, per relaxed structure, x, E_f and E_above_hull (meV/atom)."""
    if 'results' not in outputs:
        return {}
    results = outputs.results.get_dict()
    keys = ('x', 'formation_energy_meV_per_atom', 'e_above_hull_meV_per_atom')
    return {'miscibility_gaps': results['miscibility_gaps'],
            'structures': {label: {key: row[key] for key in keys} for label, row in results['structures'].items()}}


#: Step -> the headline numbers the summary keeps from its work chain's outputs.
HEADLINES = {'glass': _glass_headlines, 'conductivity': _conductivity_headlines,
             'composition': _composition_headlines}


class LpsStudyWorkChain(ProtocolMixin, WorkChain):
    """Train a GAP on one crystal; with it sample glasses, compute the crystal's Arrhenius conductivity and sweep its
    composition onto the convex hull."""

    _protocol_file = 'study.yaml'

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('pw_code', valid_type=orm.AbstractCode, help='pw.x of Quantum ESPRESSO.')
        spec.input('gap_fit_code', valid_type=orm.AbstractCode, help='gap_fit.')
        spec.input('lammps_code', valid_type=orm.AbstractCode, help='LAMMPS with pair_style quip.')
        spec.input('parameters', valid_type=orm.Dict, validator=validate_parameters,
                   help='Sections crystal, seed, training, glass, conductivity, composition: see protocols/study.yaml.')
        spec.input('options', valid_type=dict, non_db=True, default=dict, validator=validate_options,
                   help='metadata.options per code, {"pw": {...}, "gap_fit": {...}, "lmp": {...}} (resources, '
                        'max_wallclock_seconds in s, queue_name, account, ...), merged over each step\'s own.')
        spec.outline(
            cls.train,
            cls.inspect_training,
            cls.run_steps,
            cls.inspect_steps,
            cls.results,
        )
        spec.output('potential', valid_type=orm.Data, help='The trained GAP (GapPotentialData).')
        spec.output('summary', valid_type=orm.Dict,
                    help='Per step: the pk and exit status of its work chain and its headline numbers.')
        spec.exit_code(310, 'ERROR_TRAINING_FAILED',
                       message='IterativeTrainingWorkChain<{pk}> failed without a GAP: {reason}')
        spec.exit_code(311, 'ERROR_STEPS_FAILED',
                       message='the study finished, but step(s) {steps} failed (the outputs of the others are '
                       'attached); see `verdi process report`')

    @classmethod
    def get_builder_from_protocol(cls, pw_code, gap_fit_code, lammps_code, protocol: str | None = None,
                                  overrides: dict | None = None, options: dict | None = None):
        """Builder with the ``fast`` or ``precise`` protocol (``protocols/study.yaml``), ``overrides`` merged in.

        :param options: ``metadata.options`` per code (``pw``, ``gap_fit``, ``lmp``), e.g. a cluster's resources.
        """
        builder = cls.get_builder()
        builder.pw_code, builder.gap_fit_code, builder.lammps_code = pw_code, gap_fit_code, lammps_code
        builder.parameters = orm.Dict(cls.get_protocol_inputs(protocol, overrides))
        builder.options = options or {}
        return builder

    def _parameters(self, section: str):
        return self.inputs.parameters.get_dict()[section]

    def train(self):
        """DFT labels of perturbed copies of the crystal, then the iterative training."""
        builder = self._training_builder()
        builder.metadata.call_link_label = 'training'
        future = self.submit(builder)
        self.report(f'step 1/4 training: IterativeTrainingWorkChain<{future.pk}> on {self._parameters("crystal")} '
                    f'({len(builder.initial_structures)} initial, {len(builder.validation_structures)} validation '
                    f'structures)')
        return ToContext(training=future)

    def _training_builder(self):
        """The training of the crystal (kept in ``ctx.crystal``), with the ``pw``, ``gap_fit`` and ``lmp`` options."""
        settings, seed = self._parameters('training'), self._parameters('seed')
        crystal = orm.StructureData(ase=get_crystal(self._parameters('crystal')))
        self.ctx.crystal = crystal
        initial = {}
        for index, copies in enumerate(settings['initial_sets']):
            initial.update(self._perturbed(crystal, copies, seed + index, f'initial_{index}'))
        validation = self._perturbed(crystal, settings['validation_set'], seed + len(initial), 'validation')
        overrides = {**settings['overrides'], 'seed': seed, 'stages': training_stages(settings)}
        builder = IterativeTrainingWorkChain.get_builder_from_protocol(
            self.inputs.pw_code, self.inputs.gap_fit_code, {'crystal': crystal}, lammps_code=self.inputs.lammps_code,
            protocol=settings['protocol'], overrides=overrides, initial_structures=initial,
            validation_structures=validation,
        )
        builder.labelling.pw_base.pw.metadata.options.update(self.inputs.options.get('pw', {}))
        builder.gap_fit.metadata.options.update(self.inputs.options.get('gap_fit', {}))
        builder.md.lammps.metadata.options.update(self.inputs.options.get('lmp', {}))
        return builder

    @staticmethod
    def _perturbed(crystal, copies: dict, seed: int, prefix: str) -> dict:
        structures = perturbed_structures(crystal, orm.Int(copies['count']), orm.Float(copies['rattle_A']),
                                          orm.Float(copies['max_strain']), orm.Int(seed))
        return {f'{prefix}_{key.removeprefix("structure_")}': node for key, node in structures.items()}

    def inspect_training(self):
        """Keep the trained GAP; without one the study cannot go on."""
        training = self.ctx.training
        self.ctx.summary = {'failed': []}
        if 'potential' not in training.outputs:
            return self.exit_codes.ERROR_TRAINING_FAILED.format(
                pk=training.pk, reason=f'exit {training.exit_status}: {training.exit_message}')
        if not training.is_finished_ok and training.exit_status not in TRAINING_WARNINGS:
            self.ctx.summary['failed'].append('training')
        self.ctx.potential = training.outputs.potential
        generations = training.outputs.rmse_table['generations']
        last = [row for row in generations if 'validation' in row.get('rmse', {})][-1]
        validation = last['rmse']['validation']
        self.ctx.summary['training'] = {
            'pk': training.pk, 'exit_status': training.exit_status, 'potential_pk': self.ctx.potential.pk,
            'generations': generations[-1]['generation'], 'potential_generation': last['generation'],
            'n_training': last['n_training'],
            'validation_force_rmse_eV_per_A': validation['force_rmse_eV_per_A'],
            'validation_energy_rmse_meV_per_atom': validation['energy_rmse_meV_per_atom'],
        }
        self.report(f'step 1/4 training done (exit {training.exit_status}): GapPotentialData<{self.ctx.potential.pk}>'
                    f' of generation {last["generation"]}, validation force RMSE '
                    f'{validation["force_rmse_eV_per_A"]:.3f} eV/A')
        return None

    def run_steps(self):
        """Glasses, conductivity and composition sweep with the trained GAP, all at once."""
        futures = {}
        for number, step in enumerate(STEPS, start=2):
            builder = getattr(self, f'_{step}_builder')()
            builder.metadata.call_link_label = step
            futures[step] = self.submit(builder)
            self.report(f'step {number}/4 {step}: {futures[step].process_label}<{futures[step].pk}> submitted')
        return ToContext(**futures)

    def _glass_builder(self):
        settings = self._parameters('glass')
        return GlassSamplingWorkChain.get_builder_from_protocol(
            self.ctx.potential, settings['composition'], protocol=settings['protocol'], overrides=settings['overrides'])

    def _conductivity_builder(self):
        settings = self._parameters('conductivity')
        return ArrheniusWorkChain.get_builder_from_protocol(
            self.inputs.lammps_code, self.ctx.crystal, self.ctx.potential, settings['temperatures_K'],
            protocol=settings['protocol'], overrides=settings['overrides'], options=self.inputs.options.get('lmp'))

    def _composition_builder(self):
        settings = self._parameters('composition')
        return CompositionSweepWorkChain.get_builder_from_protocol(
            self.inputs.pw_code, self.ctx.crystal, self.ctx.potential, settings['n_steps'],
            protocol=settings['protocol'], overrides=settings['overrides'], options=self.inputs.options.get('pw'))

    def inspect_steps(self):
        """Per step: pk, exit status and message and the headline numbers; a failed step is named, not fatal."""
        for number, step in enumerate(STEPS, start=2):
            node = self.ctx[step]
            entry = {'pk': node.pk, 'exit_status': node.exit_status, 'exit_message': node.exit_message or '',
                     **HEADLINES[step](node.outputs)}
            if not node.is_finished_ok:
                self.ctx.summary['failed'].append(step)
            self.ctx.summary[step] = entry
            self.report(f'step {number}/4 {step} done: exit {node.exit_status} ({node.exit_message or "ok"})')

    def results(self):
        self.out('potential', self.ctx.potential)
        self.out('summary', orm.Dict(self.ctx.summary).store())
        if self.ctx.summary['failed']:
            return self.exit_codes.ERROR_STEPS_FAILED.format(steps=', '.join(self.ctx.summary['failed']))
        return None
