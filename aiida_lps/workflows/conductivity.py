"""``ArrheniusWorkChain`` (``lps.conductivity.arrhenius``): conductivity and activation energy from MLIP or DFT MD.

For every structure (one crystal, or an ensemble of glasses) and every temperature one MD runs NVT equilibration
followed by NVE production (thesis section 6; SPEC section 5); all runs are submitted at once. The ``engine``
chooses the MD: ``lammps``, a ``LammpsMdBaseWorkChain`` (``LammpsMdCalculation`` restarted with a shorter time step
when it loses atoms) with the GAP, SNAP or POD ``potential`` (Nose-Hoover NVT), or ``pw``, a ``PwMdWorkChain``
(Born-Oppenheimer MD in pw.x, Andersen NVT, docs/aimd.md). The ``md`` namespace holds the MD settings and, for
``lammps``, the ``LammpsMdBaseWorkChain`` inputs (``md.lammps.metadata.options``: resources, wall time); the ``pw``
engine takes its options in ``pw_md.options``. Both give the same
``trajectory`` and ``thermo`` outputs, which the analysis reads unchanged. Structures smaller than the minimum size
are first replicated (``replicate_structure``). Per temperature, ``conductivity_at_temperature`` turns the
trajectories into the ensemble tracer D, the Nernst-Einstein conductivity at each run's mean kinetic temperature,
D_sigma and the Haven ratio, the P/S matrix-flow verdict, the phase each crystal ended in (phase guard) and the
check that the NVE runs stayed near their temperature; ``arrhenius_fit`` fits ln(sigma T) against 1/T_measured over
the usable temperatures, with Student-t intervals of E_A and a log-normal one of sigma(300 K), and
``arrhenius_plot`` draws it. The estimators are documented in docs/conductivity.md.

Failed MD runs are reported and skipped while other runs at the same temperature remain.
"""
from __future__ import annotations

from aiida import orm
from aiida.engine import ToContext, WorkChain

from aiida_lps.analysis.arrhenius import MIN_TEMPERATURES
from aiida_lps.analysis.conductivity_summary import (
    MAX_TEMPERATURE_DEVIATION,
    interval_text,
    select_arrhenius_points,
)
from aiida_lps.calculations.functions.arrhenius_fit import arrhenius_fit
from aiida_lps.calculations.functions.arrhenius_plot import arrhenius_plot
from aiida_lps.calculations.functions.conductivity_at_temperature import (
    STRUCTURE_PREFIX,
    THERMO_PREFIX,
    TRAJECTORY_PREFIX,
    conductivity_at_temperature,
)
from aiida_lps.calculations.functions.replicate_structure import replicate_structure
from aiida_lps.calculations.pw_md import timestep_problem
from aiida_lps.data.potentials import PotentialData
from aiida_lps.structures.supercells import supercell_repetitions
from aiida_lps.workflows.lammps_md_base import LammpsMdBaseWorkChain, expose_md_inputs, md_base_inputs, md_options
from aiida_lps.workflows.protocols import ProtocolMixin
from aiida_lps.workflows.pw_md import PwMdWorkChain

__all__ = ('ArrheniusWorkChain', 'md_parameters', 'md_run_inputs', 'missing_pw_md_settings', 'pw_md_settings',
           'result_line', 'stage_steps', 'temperature_label', 'temperature_line')

#: The production run must store at least this many frames for an MSD fit.
MIN_PRODUCTION_FRAMES = 20
#: Inputs that keep flagged temperatures in the Arrhenius fit -> the flag (``<flag>_included`` in the result).
INCLUDE_FLAGGED = {'include_flowing': 'flowing', 'include_not_diffusive': 'not_diffusive',
                   'include_phase_changed': 'phase_changed'}
#: Float inputs of the ``md`` namespace, the keyword arguments of :func:`md_parameters`.
MD_SETTINGS = ('timestep_fs', 'equilibration_ps', 'thermostat_damping_fs', 'production_ps', 'dump_interval_fs')
#: MD engines -> the process each structure and temperature runs.
ENGINES = {'lammps': LammpsMdBaseWorkChain, 'pw': PwMdWorkChain}
#: PwMdWorkChain inputs that ArrheniusWorkChain takes in its ``pw_md`` namespace (the DFT settings, then the
#: ``metadata.options`` of every pw.x run).
PW_MD_INPUTS = ('pseudo_family', 'parameters', 'kpoints_distance', 'max_segments', 'options')


def temperature_label(temperature_K: float) -> str:
    """Link label of a temperature: 600 -> ``T600K``, 612.5 -> ``T612p5K``."""
    return f'T{temperature_K:g}K'.replace('.', 'p')


def md_parameters(temperature_K: float, seed: int, *, timestep_fs: float, equilibration_ps: float,
                  thermostat_damping_fs: float, production_ps: float, dump_interval_fs: float) -> dict:
    """``LammpsMdCalculation`` parameters: velocities at ``temperature_K``, NVT equilibration, NVE production.

    Both stage lengths are rounded to whole dump intervals, so the stored production frames are equally spaced
    from its first step; only the production run is dumped. The NVT stage ends with the
    velocities scaled to its mean total energy over its second half, so the NVE temperature of a small cell is on
    target instead of off by the canonical spread of the last NVT step's energy (about 1/sqrt(3N)).

    :param temperature_K: target temperature, K.
    :param seed: velocity seed (positive integer).
    :param timestep_fs: MD time step, fs.
    :param equilibration_ps: NVT length, ps.
    :param thermostat_damping_fs: Nose-Hoover damping time, fs.
    :param production_ps: NVE length, ps.
    :param dump_interval_fs: time between stored frames, fs (a multiple of the time step).
    """
    dump_every, equilibration_steps, production_steps = stage_steps(timestep_fs, equilibration_ps, production_ps,
                                                                    dump_interval_fs)
    return {
        'timestep_fs': timestep_fs,
        'initial_temperature_K': temperature_K,
        'seed': seed,
        'thermo_every': dump_every,
        'dump_every': dump_every,
        'stages': [
            {'ensemble': 'nvt', 'steps': equilibration_steps, 'temperature_K': temperature_K,
             'damping_fs': thermostat_damping_fs, 'dump': False, 'end_at_mean_energy': True},
            {'ensemble': 'nve', 'steps': production_steps},
        ],
    }


def stage_steps(timestep_fs: float, equilibration_ps: float, production_ps: float,
                dump_interval_fs: float) -> tuple[int, int, int]:
    """Steps between stored frames, and the equilibration and production steps, each stage rounded to at least
    one whole dump interval (times in fs and ps as named)."""
    dump_every = round(dump_interval_fs / timestep_fs)
    return (dump_every, max(1, round(equilibration_ps * 1000.0 / dump_interval_fs)) * dump_every,
            max(1, round(production_ps * 1000.0 / dump_interval_fs)) * dump_every)


def pw_md_settings(temperature_K: float, seed: int, *, timestep_fs: float, equilibration_ps: float,
                   thermostat_damping_fs: float, production_ps: float, dump_interval_fs: float) -> dict:
    """The ``md`` namespace of ``PwMdWorkChain`` for the settings of :func:`md_parameters` (same units): steps
    rounded to whole dump intervals, the damping time as the Andersen collision time."""
    dump_every, equilibration_steps, production_steps = stage_steps(timestep_fs, equilibration_ps, production_ps,
                                                                    dump_interval_fs)
    return {
        'temperature_K': orm.Float(temperature_K), 'timestep_fs': orm.Float(timestep_fs), 'seed': orm.Int(seed),
        'equilibration_steps': orm.Int(equilibration_steps), 'thermostat_damping_fs': orm.Float(thermostat_damping_fs),
        'production_steps': orm.Int(production_steps), 'dump_every': orm.Int(dump_every),
    }


def validate_engine(engine, _):
    if engine.value not in ENGINES:
        return f'unknown MD engine {engine.value!r}; choose one of {sorted(ENGINES)}'
    return None


def validate_temperatures(temperatures, _):
    """At least three distinct positive temperatures: an Arrhenius line through two points has no check."""
    values = temperatures.get_list()
    if any(not isinstance(value, (int, float)) or value <= 0 for value in values):
        return f'temperatures must be positive numbers in K, got {values}'
    if len(set(values)) < MIN_TEMPERATURES:
        return (f'an Arrhenius fit needs at least {MIN_TEMPERATURES} distinct temperatures, got {sorted(set(values))}: '
                'add temperatures (thesis: glasses 400-700 K, crystals 500-1400 K)')
    if len(set(values)) != len(values):
        return f'temperatures must be distinct, got {values}'
    return None


def validate_structures(structures, _):
    if not structures:
        return 'give at least one structure'
    return None


def validate_md(md, _):
    """The dump interval is a whole number of steps and the production run stores enough frames."""
    if not set(MD_SETTINGS) <= set(md):
        return None  # a missing setting is reported by its own port
    timestep, interval = md['timestep_fs'].value, md['dump_interval_fs'].value
    if timestep <= 0 or interval <= 0:
        return f'timestep_fs ({timestep}) and dump_interval_fs ({interval}) must be positive'
    if abs(interval / timestep - round(interval / timestep)) > 1e-9 or round(interval / timestep) < 1:
        return f'dump_interval_fs {interval} is not a multiple of timestep_fs {timestep}'
    if md['equilibration_ps'].value <= 0:
        return f'equilibration_ps must be positive, got {md["equilibration_ps"].value}'
    n_frames = md['production_ps'].value * 1000.0 / interval
    if n_frames < MIN_PRODUCTION_FRAMES:
        return (f'production_ps {md["production_ps"].value} stores only {n_frames:.0f} frames of {interval} fs; an MSD '
                f'fit needs at least {MIN_PRODUCTION_FRAMES}: run longer or dump more often')
    return None


def validate_inputs(inputs, _):
    """The engine has its inputs, the structures suit the potential and the mobile species; a fixed fit window lies
    inside the run."""
    return _validate_engine_inputs(inputs) or _validate_species(inputs) or _validate_fit_window(inputs)


def _validate_engine_inputs(inputs):
    """``lammps`` needs a potential; ``pw`` needs the DFT settings and a time step within the bound."""
    engine = inputs['engine'].value if 'engine' in inputs else 'lammps'
    if engine == 'lammps' and 'potential' not in inputs:
        return 'the lammps engine needs a `potential` (GAP, SNAP or POD)'
    if engine != 'pw':
        return None
    message = missing_pw_md_settings(inputs)
    if message:
        return message
    if 'timestep_fs' in inputs.get('md', {}):
        for structure in inputs.get('structures', {}).values():
            message = timestep_problem(inputs['md']['timestep_fs'].value, structure.get_ase().get_chemical_symbols())
            if message:
                return message
    return None


def missing_pw_md_settings(inputs) -> str | None:
    """Which DFT settings of the ``pw_md`` namespace pw.x MD lacks, or None."""
    missing = [name for name in PW_MD_INPUTS[:3] if name not in inputs.get('pw_md', {})]
    if missing:
        return f'pw.x MD needs the DFT settings pw_md.{", pw_md.".join(missing)} (see get_builder_from_protocol)'
    return None


def _validate_species(inputs):
    """Every structure contains the mobile species and only species the potential (if any) was trained on."""
    if not {'structures', 'mobile_species'} <= set(inputs):
        return None
    covered = set(inputs['potential'].species) if 'potential' in inputs else None
    mobile = inputs['mobile_species'].value
    for label, structure in inputs['structures'].items():
        symbols = set(structure.get_symbols_set())
        missing = sorted(symbols - covered) if covered is not None else []
        if missing:
            return (f'structure `{label}` contains {missing}, which the {inputs["potential"].potential_kind} '
                    f'potential<{inputs["potential"].pk}> '
                    f'(species {sorted(covered)}) was not trained on: use a potential that covers them')
        if mobile not in symbols:
            return f'structure `{label}` has no {mobile} atoms (species {sorted(symbols)}): check mobile_species'
    return None


def _validate_fit_window(inputs):
    """0 <= fit_start_ps < fit_end_ps <= production_ps for the windows given."""
    start = inputs['fit_start_ps'].value if 'fit_start_ps' in inputs else 0.0
    end = inputs['fit_end_ps'].value if 'fit_end_ps' in inputs else None
    production = inputs['md']['production_ps'].value if 'production_ps' in inputs.get('md', {}) else None
    if start < 0 or (end is not None and end <= start):
        return f'the MSD fit window [{start}, {end}] ps is empty or negative: give 0 <= fit_start_ps < fit_end_ps'
    if production is not None and max(start, end or 0.0) >= production:
        return f'the MSD fit window [{start}, {end}] ps reaches beyond the {production} ps production run'
    return None


class ArrheniusWorkChain(ProtocolMixin, WorkChain):
    """Conductivity per temperature and the Arrhenius E_A (eV) and sigma(300 K) (S/cm) from MD in LAMMPS or pw.x."""

    _protocol_file = 'conductivity.yaml'
    _protocol_extra_keys = ('labelling_overrides',)

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('code', valid_type=orm.AbstractCode,
                   help='The MD code: LAMMPS (lmp, with pair_style quip and snap) or, for engine pw, pw.x.')
        spec.input('engine', valid_type=orm.Str, default=lambda: orm.Str('lammps'), validator=validate_engine,
                   help='MD engine: lammps (a potential) or pw (Born-Oppenheimer MD in pw.x, PwMdWorkChain).')
        spec.expose_inputs(PwMdWorkChain, namespace='pw_md', include=PW_MD_INPUTS,
                           namespace_options={'required': False, 'populate_defaults': False,
                                              'help': 'DFT settings of the pw engine (PwMdWorkChain inputs).'})
        spec.input_namespace(
            'structures', valid_type=orm.StructureData, dynamic=True, validator=validate_structures,
            help='One structure or an ensemble (label -> structure, Angstrom); smaller ones are replicated.',
        )
        spec.input('potential', valid_type=PotentialData, required=False,
                   help='The GAP or the fast SNAP (docs/fast_potential.md) driving every MD run (engine lammps).')
        spec.input('temperatures', valid_type=orm.List, validator=validate_temperatures,
                   help='MD temperatures, K; at least three.')
        expose_md_inputs(spec, 'md')
        spec.inputs['md'].validator = validate_md
        spec.inputs['md'].help = ('MD settings, the same for every run, and (engine lammps) the inputs of every '
                                  'LammpsMdBaseWorkChain: lammps.metadata.options (resources, wall time), '
                                  'handler_overrides.')
        spec.input('md.timestep_fs', valid_type=orm.Float, help='Time step, fs.')
        spec.input('md.equilibration_ps', valid_type=orm.Float, help='NVT (Nose-Hoover) equilibration length, ps.')
        spec.input('md.thermostat_damping_fs', valid_type=orm.Float, help='Nose-Hoover damping time, fs.')
        spec.input('md.production_ps', valid_type=orm.Float, help='NVE production length per structure, ps.')
        spec.input('md.dump_interval_fs', valid_type=orm.Float, help='Time between stored frames, fs.')
        spec.input('md.seed', valid_type=orm.Int,
                   help='Velocity seed; run k (structures in label order, then temperatures) uses seed + k.')
        spec.input('supercell.min_width_A', valid_type=orm.Float, default=lambda: orm.Float(0.0),
                   help='Smallest perpendicular cell width, Angstrom; narrower structures are replicated.')
        spec.input('supercell.min_atoms', valid_type=orm.Int, default=lambda: orm.Int(0),
                   help='Smallest number of atoms; smaller structures are replicated.')
        spec.input('mobile_species', valid_type=orm.Str, default=lambda: orm.Str('Li'), help='Carrier symbol.')
        spec.input('charge', valid_type=orm.Float, default=lambda: orm.Float(1.0),
                   help='Carrier charge, elementary charges.')
        spec.input('fit_start_ps', valid_type=orm.Float, required=False,
                   help='Start of the MSD fit window (lag), ps, at every temperature; default: automatic per run.')
        spec.input('fit_end_ps', valid_type=orm.Float, required=False,
                   help='End of the MSD fit window (lag), ps, at every temperature; default: half the production run.')
        spec.input('max_temperature_deviation', valid_type=orm.Float,
                   default=lambda: orm.Float(MAX_TEMPERATURE_DEVIATION),
                   help='Largest accepted |<T_NVE> - T| / T of a production run (default 10 %); worse '
                        'temperatures are excluded.')
        spec.input('include_flowing', valid_type=orm.Bool, default=lambda: orm.Bool(False),
                   help='Fit also temperatures where the P/S matrix flows (default: exclude and report them).')
        spec.input('include_not_diffusive', valid_type=orm.Bool, default=lambda: orm.Bool(False),
                   help='Fit also the best-window estimates of temperatures whose MSD fit window could not be '
                        'justified (default: exclude and report them).')
        spec.input('include_phase_changed', valid_type=orm.Bool, default=lambda: orm.Bool(False),
                   help='Fit also temperatures where a crystal ended in another phase than it started in '
                        '(phase guard; default: exclude and report them).')
        spec.inputs.validator = validate_inputs

        spec.outline(
            cls.prepare_structures,
            cls.run_md,
            cls.inspect_md,
            cls.analyse_temperatures,
            cls.fit,
        )
        spec.output_namespace('conductivities', valid_type=orm.Dict, dynamic=True,
                              help='Per temperature (T600K, ...): ensemble D, sigma, Haven ratio, matrix flow, '
                                   'phase, measured temperature.')
        spec.output('result', valid_type=orm.Dict,
                    help='E_A (eV) with its error and Student-t interval, sigma(300 K) (S/cm) with its log-normal '
                         'interval, prefactor, fitted points, exclusions.')
        spec.output('arrhenius_plot', valid_type=orm.SinglefileData, help='sigma T against 1000/T with the fit (PNG).')

        spec.exit_code(310, 'ERROR_ALL_MD_FAILED_AT_TEMPERATURE',
                       message='every MD run at {temperature_K} K failed: {failures}')
        spec.exit_code(410, 'WARNING_NEVER_DIFFUSIVE',
                       message='the {species} MSD never became diffusive at any temperature: run longer or hotter')
        spec.exit_code(411, 'WARNING_TOO_FEW_TEMPERATURES',
                       message='only {n_used} usable temperatures, an Arrhenius fit needs 3; excluded: {excluded}')

    @classmethod
    def md_inputs(cls, inputs: dict, ensemble: bool = False) -> dict:
        """The ``md`` namespace from protocol inputs (``get_protocol_inputs``); ``ensemble``: several structures."""
        return {
            'timestep_fs': orm.Float(inputs['timestep_fs']),
            'equilibration_ps': orm.Float(inputs['equilibration_ps']),
            'thermostat_damping_fs': orm.Float(inputs['thermostat_damping_fs']),
            'production_ps': orm.Float(inputs['production_ps_ensemble' if ensemble else 'production_ps']),
            'dump_interval_fs': orm.Float(inputs['dump_interval_fs']),
            'seed': orm.Int(inputs['seed']),
        }

    @classmethod
    def pw_md_inputs(cls, code, structure: orm.StructureData, inputs: dict) -> dict:
        """The ``pw_md`` namespace (DFT settings of the labelling protocol) from protocol ``inputs``."""
        pw_md = PwMdWorkChain.get_builder_from_protocol(
            code, structure, 1000.0, overrides={'labelling_protocol': inputs['labelling_protocol'],
                                                'labelling_overrides': inputs.get('labelling_overrides', {})})
        return {name: pw_md[name] for name in PW_MD_INPUTS[:3]}

    @classmethod
    def get_builder_from_protocol(cls, code, structures, potential, temperatures, protocol: str | None = None,
                                  overrides: dict | None = None, options: dict | None = None, engine: str = 'lammps'):
        """Builder for ``structures`` at ``temperatures`` (K) with the ``fast`` or ``precise`` protocol.

        :param code: ``lmp`` for the lammps engine, ``pw.x`` for the pw engine.
        :param structures: one ``StructureData`` or an ensemble, label -> ``StructureData``; an ensemble uses
            ``production_ps_ensemble`` per structure.
        :param potential: the potential of the lammps engine; None for the pw engine.
        :param overrides: protocol keys (``timestep_fs``, ``production_ps``, ``dump_interval_fs``, ``min_atoms``,
            ``labelling_protocol``, ...), see ``protocols/conductivity.yaml``, and ``labelling_overrides`` (pw
            engine: passed to ``DftLabellingWorkChain.get_builder_from_protocol``).
        :param options: ``metadata.options`` of every MD run (``md.lammps.metadata.options``, or ``pw_md.options``
            for the pw engine); ``max_wallclock_seconds`` (s) defaults to the protocol's.
        :param engine: ``lammps`` or ``pw``.
        """
        inputs = cls.get_protocol_inputs(protocol, overrides)
        if isinstance(structures, orm.StructureData):
            structures = {'structure': structures}
        builder = cls.get_builder()
        builder.code = code
        builder.engine = orm.Str(engine)
        builder.structures = structures
        if potential is not None:
            builder.potential = potential
        options = md_options(inputs['max_wallclock_seconds'], options)
        builder.md = cls.md_inputs(inputs, ensemble=len(structures) > 1)
        if engine == 'pw':
            builder.pw_md = {**cls.pw_md_inputs(code, next(iter(structures.values())), inputs), 'options': options}
        else:
            builder.md.lammps.metadata.options.update(options)
        builder.temperatures = orm.List([float(value) for value in temperatures])
        builder.supercell = {'min_width_A': orm.Float(inputs['min_width_A']), 'min_atoms': orm.Int(inputs['min_atoms'])}
        return builder

    def prepare_structures(self):
        """Replicate every structure smaller than the minimum width or number of atoms."""
        min_width, min_atoms = self.inputs.supercell.min_width_A, self.inputs.supercell.min_atoms
        self.ctx.structures = {}
        for label, structure in self.inputs.structures.items():
            repetitions = supercell_repetitions(structure.cell, len(structure.sites), min_width_A=min_width.value,
                                                min_atoms=min_atoms.value)
            if repetitions == (1, 1, 1):
                self.ctx.structures[label] = structure
                continue
            supercell = replicate_structure(structure, min_width, min_atoms,
                                            metadata={'call_link_label': f'supercell_{label}'})
            self.report(f'`{label}`: {len(structure.sites)} atoms replicated {"x".join(map(str, repetitions))} to '
                        f'{len(supercell.sites)} atoms (StructureData<{supercell.pk}>)')
            self.ctx.structures[label] = supercell

    def run_md(self):
        """Submit one MD run (LammpsMdBaseWorkChain or PwMdWorkChain) per structure and temperature, all at once."""
        engine = self.inputs.engine.value
        futures = {}
        for label, structure in sorted(self.ctx.structures.items()):
            for temperature in self.inputs.temperatures.get_list():
                key = f'md_{label}_{temperature_label(temperature)}'
                inputs = self.md_run_inputs(engine, structure, temperature, self.inputs.md.seed.value + len(futures),
                                            key)
                futures[key] = self.submit(ENGINES[engine], **inputs)
        self.report(f'launched {len(futures)} {ENGINES[engine].__name__}s: {len(self.ctx.structures)} structure(s) x '
                    f'{len(self.inputs.temperatures.get_list())} temperatures')
        return ToContext(**futures)

    def md_run_inputs(self, engine: str, structure: orm.StructureData, temperature_K: float, seed: int,
                      label: str) -> dict:
        """Inputs of the ``engine``'s MD of ``structure`` at ``temperature_K`` (K) with velocity ``seed``, linked as
        ``label``."""
        pw_md = self.exposed_inputs(PwMdWorkChain, namespace='pw_md') if engine == 'pw' else None
        return md_run_inputs(engine, self.inputs.code, structure, temperature_K, seed, self.inputs.md, label,
                             potential=self.inputs.get('potential'), pw_md=pw_md)

    def inspect_md(self):
        """Collect the finished runs per temperature; report failed ones; stop if a temperature has none left."""
        self.ctx.finished = {}
        for temperature in self.inputs.temperatures.get_list():
            finished, failures = {}, []
            for label in self.ctx.structures:
                child = self.ctx[f'md_{label}_{temperature_label(temperature)}']
                if child.is_finished_ok:
                    finished[label] = child
                    continue
                failures.append(f'`{label}` {child.process_label}<{child.pk}> exit {child.exit_status}: '
                                f'{child.exit_message}')
                self.report(f'{temperature:g} K: skipped failed MD of {failures[-1]}')
            if not finished:
                return self.exit_codes.ERROR_ALL_MD_FAILED_AT_TEMPERATURE.format(
                    temperature_K=f'{temperature:g}', failures='; '.join(failures))
            self.ctx.finished[temperature_label(temperature)] = finished
        return None

    def analyse_temperatures(self):
        """Per temperature: ensemble D, sigma, Haven ratio, matrix flow and MD temperature as one node."""
        self.ctx.conductivities = {}
        window = {name: self.inputs[name] for name in ('fit_start_ps', 'fit_end_ps') if name in self.inputs}
        for temperature in self.inputs.temperatures.get_list():
            label = temperature_label(temperature)
            finished = self.ctx.finished[label]
            runs = {}
            for structure, child in finished.items():
                runs[TRAJECTORY_PREFIX + structure] = child.outputs.trajectory
                runs[THERMO_PREFIX + structure] = child.outputs.thermo
                runs[STRUCTURE_PREFIX + structure] = self.ctx.structures[structure]
            node = conductivity_at_temperature(
                temperature_K=orm.Float(temperature), mobile_species=self.inputs.mobile_species,
                charge=self.inputs.charge, max_temperature_deviation=self.inputs.max_temperature_deviation,
                metadata={'call_link_label': f'conductivity_{label}'}, **window, **runs,
            )
            self.out(f'conductivities.{label}', node)
            self.ctx.conductivities[label] = node
            self.report(temperature_line(node.get_dict()))
        if not self.inputs.include_not_diffusive and not any(
                node['is_diffusive'] for node in self.ctx.conductivities.values()):
            return self.exit_codes.WARNING_NEVER_DIFFUSIVE.format(species=self.inputs.mobile_species.value)
        return None

    def fit(self):
        """Arrhenius fit over the usable temperatures, then its plot; report exclusions, E_A and sigma(300 K)."""
        include = {name: self.inputs[name] for name in INCLUDE_FLAGGED}
        summaries = [node.get_dict() for node in self.ctx.conductivities.values()]
        used, excluded = select_arrhenius_points(summaries, **{name: flag.value for name, flag in include.items()})
        for temperature, reason in excluded.items():
            self.report(f'{temperature} K excluded from the Arrhenius fit: {reason}')
        if len(used) < MIN_TEMPERATURES:
            return self.exit_codes.WARNING_TOO_FEW_TEMPERATURES.format(
                n_used=len(used), excluded='; '.join(f'{T} K' for T in excluded))
        result = arrhenius_fit(metadata={'call_link_label': 'arrhenius_fit'}, **include, **self.ctx.conductivities)
        self.out('result', result)
        self.out('arrhenius_plot', arrhenius_plot(result, metadata={'call_link_label': 'arrhenius_plot'}))
        for name, flag in INCLUDE_FLAGGED.items():
            for temperature in result[flag + '_included']:
                self.report(f'{temperature} K kept in the fit although flagged {flag.replace("_", " ")} ({name})')
        self.report(result_line(result.get_dict()))
        return None


def md_run_inputs(engine: str, code, structure: orm.StructureData, temperature_K: float, seed: int, md,
                  label: str, potential=None, pw_md: dict | None = None) -> dict:
    """Inputs of ``ENGINES[engine]`` for MD of ``structure`` at ``temperature_K`` (K) with velocity ``seed``, linked
    as ``label``.

    :param md: the ``md`` namespace of ``ArrheniusWorkChain``: ``MD_SETTINGS`` as ``Float`` nodes and the
        ``LammpsMdBaseWorkChain`` inputs of the lammps engine (``lammps.metadata.options``, ``handler_overrides``).
    :param potential: the potential of the lammps engine.
    :param pw_md: the DFT settings and options of the pw engine (``PW_MD_INPUTS``).
    """
    settings = {name: md[name].value for name in MD_SETTINGS}
    if engine == 'pw':
        return {**(pw_md or {}), 'code': code, 'structure': structure,
                'md': pw_md_settings(temperature_K, seed, **settings), 'metadata': {'call_link_label': label}}
    restart = {name: value for name, value in md.items() if name not in (*MD_SETTINGS, 'seed', 'metadata')}
    return md_base_inputs(restart, label, code=code, structure=structure, potential=potential,
                          parameters=md_parameters(temperature_K, seed, **settings))


def result_line(result: dict) -> str:
    """One report line: E_A and sigma(300 K) with their intervals, from an ``arrhenius_fit`` result."""
    confidence = f'{100 * result["confidence"]:g} %'
    return (
        f'E_A = {result["activation_energy_eV"]:.3f} +- {result["activation_energy_err_eV"]:.3f} eV '
        f'({confidence} interval {interval_text(result["activation_energy_interval_eV"], ".3f")} eV), '
        f'sigma({result["room_temperature_K"]:g} K) = {result["conductivity_300K_S_per_cm"]:.3g} S/cm ({confidence} '
        f'interval {interval_text(result["conductivity_300K_interval_S_per_cm"])} S/cm, log-normal) '
        f'from {len(result["temperatures_K"])} temperatures at their measured T '
        f'(Student t, {result["degrees_of_freedom"]} degrees of freedom; reduced chi2 '
        f'{result["fit"]["chi2_reduced"]:.2g})'
    )


def temperature_line(summary: dict) -> str:
    """One report line: D, sigma, Haven ratio, phase and flags of a ``conductivity_at_temperature`` result."""
    head = f'{summary["temperature_K"]:g} K ({len(summary["structures_used"])}/{summary["n_structures"]} structures'
    if summary['production_temperature_K'] is not None:
        head += f', NVE mean {summary["production_temperature_K"]:.0f} K'
    head += '): '
    transport = (
        f'D = {summary["diffusivity_A2_per_ps"]:.3g} +- {summary["diffusivity_err_A2_per_ps"]:.2g} A^2/ps, '
        f'sigma = {summary["conductivity_S_per_cm"]:.3g} +- {summary["conductivity_err_S_per_cm"]:.2g} S/cm'
    )
    if not summary['is_diffusive']:
        line = head + 'MSD NOT DIFFUSIVE, best-window estimate ' + transport
    else:
        line = head + transport
        if summary['haven_ratio'] is not None:
            line += f', H = {summary["haven_ratio"]:.2f} +- {summary["haven_ratio_err"]:.2f}'
    if summary['not_diffusive'] and summary['is_diffusive']:
        line += f'; not diffusive: {", ".join(summary["not_diffusive"])}'
    flow = '; MATRIX FLOWS: ' + summary['matrix_flow_reason'] if summary['matrix_flowing'] else '; matrix static'
    phase = ''
    if summary['phase_reason']:
        phase = ('; PHASE CHANGED: ' if summary['phase_changed'] else '; phase: ') + summary['phase_reason']
    temperature = '; MD TEMPERATURE OFF: ' + summary['temperature_off_reason'] if summary['temperature_off'] else ''
    return line + flow + phase + temperature
