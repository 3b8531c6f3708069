"""``InterfaceWorkChain`` (``lps.interface``): build, sinter and analyse a glass/crystal interface with a GAP.

Thesis §6.3 (SPEC §8):

1. ``build_interface_structure``: a slab of the crystal (default beta-Li3PS4) exposing the facet (h k l), doubled
   along the normal, and a glass of the same volume sampled into the void and compressed along the normal only
   (``aiida_lps.structures.interface``);
2. sintering: one ``LammpsMdBaseWorkChain`` (a ``LammpsMdCalculation`` restarted with a shorter time step when it
   loses atoms), NVT throughout, heating in 100 K steps to the maximum and cooling
   step-wise with each cooling step 1.5 times longer than the one before (``sintering_schedule``); every
   temperature, time and seed is an input;
3. production: one ``LammpsMdBaseWorkChain`` from the last sintered frame, NVT equilibration then NVE;
4. analyses of the production trajectory (calcfunctions): the crystallinity profile F(z) and the crystal /
   interface / glass domains with the interfacial widths, partial RDFs per domain, the MSD of the mobile species
   per domain with static (mean position) and dynamic (position at each time origin) assignment, and the plot
   of F(z).

Both MD runs take the inputs of the ``md`` namespace (``md.lammps.metadata.options``: resources, wall time in s).
"""
from __future__ import annotations

from aiida import orm
from aiida.engine import ToContext, WorkChain
from ase.neighborlist import neighbor_list

from aiida_lps.calculations.functions.build_interface_structure import RELAXATIONS, build_interface_structure
from aiida_lps.calculations.functions.interface_crystallinity import interface_crystallinity
from aiida_lps.calculations.functions.interface_domain_msd import ASSIGNMENTS, interface_domain_msd
from aiida_lps.calculations.functions.interface_profile_plot import interface_profile_plot
from aiida_lps.calculations.functions.interface_region_rdfs import interface_region_rdfs
from aiida_lps.calculations.functions.last_trajectory_frame import last_trajectory_frame
from aiida_lps.data.potentials import PotentialData
from aiida_lps.structures.interface import MIN_DISTANCE_A, SinteringStep, sintering_schedule
from aiida_lps.workflows.conductivity import md_parameters
from aiida_lps.workflows.lammps_md_base import LammpsMdBaseWorkChain, expose_md_inputs, md_base_inputs, md_options
from aiida_lps.workflows.protocols import ProtocolMixin

__all__ = ('InterfaceWorkChain', 'sintering_md_parameters')

#: Float inputs of the ``sinter`` namespace that are arguments of ``sintering_schedule``.
SCHEDULE_SETTINGS = ('start_temperature_K', 'max_temperature_K', 'final_temperature_K', 'heating_step_ps',
                     'first_cooling_step_ps', 'temperature_step_K', 'cooling_time_factor')
#: Float inputs of the ``sinter`` namespace that set up the MD.
SINTER_MD_SETTINGS = ('timestep_fs', 'thermostat_damping_fs', 'dump_interval_fs')
#: Float inputs of the ``production`` namespace, the keyword arguments of ``conductivity.md_parameters``.
PRODUCTION_SETTINGS = ('timestep_fs', 'equilibration_ps', 'thermostat_damping_fs', 'production_ps',
                       'dump_interval_fs')


def sintering_md_parameters(schedule: list[SinteringStep], seed: int, *, timestep_fs: float,
                            thermostat_damping_fs: float, dump_interval_fs: float) -> dict:
    """``LammpsMdCalculation`` parameters of a sintering schedule: one NVT (Nose-Hoover) stage per step.

    Each stage lasts a whole number of dump intervals (at least one), the nearest to its duration, so the
    trajectory has a frame at the end of every stage; velocities start at the first temperature.

    :param schedule: the steps of ``sintering_schedule`` (K, ps).
    :param seed: velocity seed (positive integer).
    :param timestep_fs: MD time step, fs.
    :param thermostat_damping_fs: Nose-Hoover damping time, fs.
    :param dump_interval_fs: time between stored frames, fs (a multiple of the time step).
    """
    dump_every = round(dump_interval_fs / timestep_fs)
    stages = [
        {'ensemble': 'nvt', 'steps': max(1, round(step.duration_ps * 1000.0 / dump_interval_fs)) * dump_every,
         'temperature_K': step.temperature_K, 'damping_fs': thermostat_damping_fs}
        for step in schedule
    ]
    return {'timestep_fs': timestep_fs, 'initial_temperature_K': schedule[0].temperature_K, 'seed': seed,
            'thermo_every': dump_every, 'dump_every': dump_every, 'stages': stages}


def _dump_interval_message(namespace: str, timestep_fs: float, dump_interval_fs: float) -> str | None:
    ratio = dump_interval_fs / timestep_fs if timestep_fs > 0 else 0.0
    if timestep_fs <= 0 or dump_interval_fs <= 0 or abs(ratio - round(ratio)) > 1e-9:
        return (f'{namespace}: dump_interval_fs {dump_interval_fs} must be a positive multiple of timestep_fs '
                f'{timestep_fs}')
    return None


def validate_sinter(sinter, _):
    """The schedule can be built and the dump interval is a whole number of steps."""
    if not set(SCHEDULE_SETTINGS + SINTER_MD_SETTINGS) <= set(sinter):
        return None  # a missing setting is reported by its own port
    try:
        sintering_schedule(**{name: sinter[name].value for name in SCHEDULE_SETTINGS})
    except ValueError as exception:
        return f'sinter: {exception}'
    return _dump_interval_message('sinter', sinter['timestep_fs'].value, sinter['dump_interval_fs'].value)


def validate_production(production, _):
    if not set(PRODUCTION_SETTINGS) <= set(production):
        return None
    if production['production_ps'].value <= 0 or production['equilibration_ps'].value <= 0:
        return 'production: equilibration_ps and production_ps must be positive'
    return _dump_interval_message('production', production['timestep_fs'].value, production['dump_interval_fs'].value)


def validate_miller_index(miller_index, _):
    values = miller_index.get_list()
    if len(values) != 3 or not all(isinstance(value, int) for value in values) or not any(values):
        return f'miller_index must be three integers, not all zero, e.g. [0, 1, 0]; got {values}'
    return None


def validate_repetitions(repetitions, _):
    values = repetitions.get_list()
    if len(values) != 3 or not all(isinstance(value, int) and value > 0 for value in values):
        return f'repetitions must be three positive integers (n_1, n_2, n_normal); got {values}'
    return None


def validate_build(build, _):
    relaxation = build['relaxation'].value if 'relaxation' in build else None
    if relaxation is not None and relaxation not in RELAXATIONS:
        return f'build.relaxation must be one of {RELAXATIONS}, got {relaxation!r}'
    return None


def validate_analysis(analysis, _):
    low = analysis['low_level'].value if 'low_level' in analysis else 0.1
    high = analysis['high_level'].value if 'high_level' in analysis else 0.9
    if not 0.0 <= low < high <= 1.0:
        return f'analysis: need 0 <= low_level < high_level <= 1, got {low} and {high}'
    return None


class InterfaceWorkChain(ProtocolMixin, WorkChain):
    """Glass/crystal interface: build, sinter (GAP MD in LAMMPS), production MD, F(z), RDFs and MSDs per domain."""

    _protocol_file = 'interface.yaml'

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('code', valid_type=orm.AbstractCode, help='LAMMPS (lmp) with pair_style quip.')
        spec.input('potential', valid_type=PotentialData, help='The GAP driving the MD (and the build relaxations).')

        spec.input_namespace('build', validator=validate_build, help='The interface model.')
        spec.input('build.crystal', valid_type=orm.Str, help='Library crystal (aiida_lps.structures.crystals).')
        spec.input('build.miller_index', valid_type=orm.List, validator=validate_miller_index,
                   help='Facet (h, k, l) of the conventional cell facing the glass; thesis: (100), (010), (001), '
                   '(-110).')
        spec.input('build.repetitions', valid_type=orm.List, validator=validate_repetitions,
                   help='Surface cells (n_1, n_2, n_normal); the slab has 2 n_normal layers (thesis 4 x 4 x 4).')
        spec.input('build.glass_composition', valid_type=orm.Str, help='Glass formula, e.g. Li3PS4.')
        spec.input('build.initial_density_g_cm3', valid_type=orm.Float, help='Glass placement density, g/cm3.')
        spec.input('build.glass_density_g_cm3', valid_type=orm.Float, help='Glass density in the void, g/cm3.')
        spec.input('build.seed', valid_type=orm.Int, help='Seed of the glass sampling.')
        spec.input('build.relaxation', valid_type=orm.Str,
                   help="'potential' (BFGS with the GAP) or 'overlap_cleaner' (geometry cleaner; tests and demos).")
        spec.input('build.relax_fmax', valid_type=orm.Float, help='Relaxation force threshold, eV/Angstrom.')
        spec.input('build.relax_max_steps', valid_type=orm.Int, help='Most optimiser steps per relaxation.')

        spec.input_namespace('sinter', validator=validate_sinter, help='Sintering schedule (NVT throughout).')
        for name, help_text in (
            ('start_temperature_K', 'First temperature, K.'),
            ('max_temperature_K', 'Highest temperature, K (thesis 1000 K).'),
            ('final_temperature_K', 'Last temperature, K.'),
            ('temperature_step_K', 'Temperature change between steps, K (thesis 100 K).'),
            ('heating_step_ps', 'Duration of every heating step, ps.'),
            ('first_cooling_step_ps', 'Duration of the first cooling step, ps.'),
            ('cooling_time_factor', 'Ratio of a cooling step to the one before (thesis 1.5).'),
            ('timestep_fs', 'MD time step, fs.'),
            ('thermostat_damping_fs', 'Nose-Hoover damping time, fs.'),
            ('dump_interval_fs', 'Time between stored frames, fs.'),
        ):
            spec.input(f'sinter.{name}', valid_type=orm.Float, help=help_text)
        spec.input('sinter.seed', valid_type=orm.Int, help='Velocity seed of the sintering MD.')

        spec.input_namespace('production', validator=validate_production,
                             help='Production MD: NVT equilibration, then NVE.')
        for name, help_text in (
            ('temperature_K', 'Temperature, K.'),
            ('equilibration_ps', 'NVT equilibration, ps (not stored).'),
            ('production_ps', 'NVE production, ps.'),
            ('timestep_fs', 'MD time step, fs.'),
            ('thermostat_damping_fs', 'Nose-Hoover damping time, fs.'),
            ('dump_interval_fs', 'Time between stored frames, fs.'),
        ):
            spec.input(f'production.{name}', valid_type=orm.Float, help=help_text)
        spec.input('production.seed', valid_type=orm.Int, help='Velocity seed of the production MD.')

        spec.input_namespace('analysis', validator=validate_analysis, help='Analyses of the production trajectory.')
        spec.input('analysis.slices_per_layer', valid_type=orm.Int,
                   help='F(z) slices per layer spacing of the crystal facet.')
        spec.input('analysis.symbol', valid_type=orm.Str, help='Sublattice of F(z) (thesis: P).')
        spec.input('analysis.sigma_A', valid_type=orm.Float, help='Gaussian smearing of F(z), Angstrom.')
        spec.input('analysis.n_peaks', valid_type=orm.Int, help='Bragg intensities summed in F(z).')
        spec.input('analysis.low_level', valid_type=orm.Float,
                   help='Relative F level at or below which a slice is glass.')
        spec.input('analysis.high_level', valid_type=orm.Float,
                   help='Relative F level at or above which a slice is crystal.')
        spec.input('analysis.rdf_r_max_A', valid_type=orm.Float, help='Largest RDF distance, Angstrom.')
        spec.input('analysis.rdf_n_bins', valid_type=orm.Int, help='RDF bins.')
        spec.input('analysis.mobile_species', valid_type=orm.Str, help='Species of the domain MSDs.')
        expose_md_inputs(spec, 'md', 'Inputs of both LammpsMdBaseWorkChains (sintering, production): '
                         'lammps.metadata.options (resources, max_wallclock_seconds in s), handler_overrides.')

        spec.outline(
            cls.build,
            cls.run_sintering,
            cls.inspect_sintering,
            cls.run_production,
            cls.inspect_production,
            cls.analyse,
        )
        spec.output('structure', valid_type=orm.StructureData, help='The built interface (crystal atoms first).')
        spec.output('build_info', valid_type=orm.Dict, help='Thicknesses (Angstrom), counts, densities (g/cm3).')
        spec.output('sintered_structure', valid_type=orm.StructureData, help='Last frame of the sintering.')
        spec.output('crystallinity', valid_type=orm.ArrayData, help='F(z) of the production trajectory.')
        spec.output('domains', valid_type=orm.Dict, help='Crystal / interface / glass intervals and widths, Angstrom.')
        spec.output('region_rdfs', valid_type=orm.ArrayData, help='Partial RDFs around the atoms of each domain.')
        spec.output('msd_static', valid_type=orm.ArrayData, help='MSD per domain of the mean position, Angstrom^2.')
        spec.output('msd_dynamic', valid_type=orm.ArrayData,
                    help='MSD per domain at each time origin, Angstrom^2.')
        spec.output('crystallinity_plot', valid_type=orm.SinglefileData, help='F(z) with the domains (PNG).')

        spec.exit_code(310, 'ERROR_BUILD_FAILED', message='building the interface failed: {message}')
        spec.exit_code(311, 'ERROR_SINTERING_FAILED',
                       message='the sintering LammpsMdBaseWorkChain<{pk}> failed with exit status {status}: {message}')
        spec.exit_code(312, 'ERROR_PRODUCTION_FAILED',
                       message='the production LammpsMdBaseWorkChain<{pk}> failed with exit status {status}: '
                       '{message}')
        spec.exit_code(410, 'WARNING_NO_INTERFACE',
                       message='F(z) of the production run shows no crystal/glass transition ({domains}): the crystal '
                       'melted or the glass ordered; sinter cooler or check the potential (outputs are attached)')
        spec.exit_code(411, 'WARNING_STRUCTURE_COLLAPSED',
                       message='the MD brought atoms closer than physically possible ({message}): the potential has '
                       'no short-range repulsion there; the outputs describe an unphysical structure')

    @classmethod
    def get_builder_from_protocol(cls, code, potential, miller_index, protocol: str | None = None,
                                  overrides: dict | None = None, options: dict | None = None):
        """Builder for the facet ``miller_index`` with the ``fast`` or ``precise`` protocol.

        :param overrides: nested protocol keys (``build``, ``sinter``, ``production``, ``analysis``), see
            ``protocols/interface.yaml``.
        :param options: ``metadata.options`` of both MD runs (``md.lammps.metadata.options``);
            ``max_wallclock_seconds`` (s) defaults to the protocol's.
        """
        inputs = cls.get_protocol_inputs(protocol, overrides)
        inputs['build']['miller_index'] = [int(index) for index in miller_index]
        builder = cls.get_builder()
        builder.code = code
        builder.potential = potential
        for namespace in ('build', 'sinter', 'production', 'analysis'):
            ports = cls.spec().inputs[namespace]
            builder[namespace] = {name: ports[name].valid_type(value) for name, value in inputs[namespace].items()}
        builder.md.lammps.metadata.options.update(md_options(inputs['max_wallclock_seconds'], options))
        return builder

    def build(self):
        """Build the interface (calcfunction)."""
        build = self.inputs.build
        try:
            results = build_interface_structure(
                crystal=build.crystal, miller_index=build.miller_index, repetitions=build.repetitions,
                glass_composition=build.glass_composition, initial_density_g_cm3=build.initial_density_g_cm3,
                glass_density_g_cm3=build.glass_density_g_cm3, seed=build.seed, relaxation=build.relaxation,
                relax_fmax=build.relax_fmax, relax_max_steps=build.relax_max_steps,
                **({'potential': self.inputs.potential} if build.relaxation.value == 'potential' else {}),
                metadata={'call_link_label': 'build'},
            )
        except (RuntimeError, ValueError) as exception:  # e.g. a relaxation that merged atoms, an unbuildable glass
            return self.exit_codes.ERROR_BUILD_FAILED.format(message=str(exception))
        self.ctx.structure, self.ctx.build_info = results['structure'], results['info']
        info = self.ctx.build_info
        self.out('structure', self.ctx.structure)
        self.out('build_info', info)
        self.report(
            f'built {build.crystal.value} ({"".join(map(str, build.miller_index.get_list()))}) | '
            f'{build.glass_composition.value} glass: {len(self.ctx.structure.sites)} atoms, crystal '
            f'{info["crystal_thickness_A"]:.1f} A + glass {info["glass_thickness_A"]:.1f} A at '
            f'{info["glass_density_g_cm3"]:.3f} g/cm3 (StructureData<{self.ctx.structure.pk}>)'
        )
        return None

    def md_inputs(self, label: str, structure: orm.StructureData, parameters: dict) -> dict:
        """Inputs of one LammpsMdBaseWorkChain linked as ``label``: the workflow's code, potential and ``md``
        inputs, ``structure`` and the ``LammpsMdCalculation`` ``parameters``."""
        return md_base_inputs(self.exposed_inputs(LammpsMdBaseWorkChain, namespace='md'), label,
                              code=self.inputs.code, structure=structure, potential=self.inputs.potential,
                              parameters=parameters)

    def _submit_md(self, label: str, structure: orm.StructureData, parameters: dict):
        """Submit one LammpsMdBaseWorkChain (``md_inputs``)."""
        return self.submit(LammpsMdBaseWorkChain, **self.md_inputs(label, structure, parameters))

    @staticmethod
    def _failure(md, exit_code):
        """``exit_code`` filled in for a failed ``md`` run, or None if it finished ok."""
        if md.is_finished_ok:
            return None
        return exit_code.format(pk=md.pk, status=md.exit_status, message=md.exit_message)

    def _check_collapse(self, structure: orm.StructureData, stage: str) -> None:
        """Report and remember atom pairs of ``structure`` closer than ``MIN_DISTANCE_A``."""
        distances = neighbor_list('d', structure.get_ase(), MIN_DISTANCE_A)
        if len(distances):
            message = (f'{stage}: {len(distances) // 2} atom pairs closer than {MIN_DISTANCE_A} A, the closest '
                       f'{distances.min():.2f} A')
            self.ctx.collapse = f'{self.ctx.collapse}; {message}' if 'collapse' in self.ctx else message
            self.report(f'WARNING: {message}')

    def run_sintering(self):
        """One LammpsMdBaseWorkChain running the whole sintering schedule."""
        sinter = self.inputs.sinter
        schedule = sintering_schedule(**{name: sinter[name].value for name in SCHEDULE_SETTINGS})
        parameters = sintering_md_parameters(schedule, sinter.seed.value,
                                             **{name: sinter[name].value for name in SINTER_MD_SETTINGS})
        total_ps = sum(stage['steps'] for stage in parameters['stages']) * sinter.timestep_fs.value / 1000.0
        self.report(f'sintering: {len(schedule)} NVT steps, ' + ' '.join(f'{step.temperature_K:g}' for step in schedule)
                    + f' K, {total_ps:g} ps in all')
        return ToContext(sintering=self._submit_md('sintering', self.ctx.structure, parameters))

    def inspect_sintering(self):
        """Stop if the sintering failed; otherwise its last frame, wrapped, starts the production."""
        failure = self._failure(self.ctx.sintering, self.exit_codes.ERROR_SINTERING_FAILED)
        if failure:
            return failure
        self.ctx.sintered = last_trajectory_frame(self.ctx.sintering.outputs.trajectory,
                                                  metadata={'call_link_label': 'sintered_structure'})
        self.out('sintered_structure', self.ctx.sintered)
        self._check_collapse(self.ctx.sintered, 'end of the sintering')
        return None

    def run_production(self):
        """NVT equilibration and NVE production from the sintered structure."""
        production = self.inputs.production
        parameters = md_parameters(production.temperature_K.value, production.seed.value,
                                   **{name: production[name].value for name in PRODUCTION_SETTINGS})
        return ToContext(production=self._submit_md('production', self.ctx.sintered, parameters))

    def inspect_production(self):
        failure = self._failure(self.ctx.production, self.exit_codes.ERROR_PRODUCTION_FAILED)
        if failure:
            return failure
        trajectory = self.ctx.production.outputs.trajectory
        self._check_collapse(trajectory.get_step_structure(trajectory.numsteps - 1), 'end of the production')
        return None

    def _n_slices(self) -> int:
        """Slices of F(z): ``slices_per_layer`` per layer spacing of the facet, over the whole cell height."""
        layer_spacing = self.ctx.build_info['layer_spacing_A']
        height = self.ctx.structure.cell[2][2]
        return max(1, round(height / layer_spacing * self.inputs.analysis.slices_per_layer.value))

    def analyse(self):
        """F(z) and domains, RDFs per domain, static and dynamic MSDs per domain, and the plot of F(z)."""
        analysis = self.inputs.analysis
        trajectory = self.ctx.production.outputs.trajectory
        crystallinity = interface_crystallinity(
            trajectory, orm.Int(self._n_slices()), analysis.symbol, analysis.sigma_A, analysis.n_peaks,
            analysis.low_level, analysis.high_level, metadata={'call_link_label': 'crystallinity'})
        domains = crystallinity['domains']
        self.out('crystallinity', crystallinity['profile'])
        self.out('domains', domains)
        self.out('region_rdfs', interface_region_rdfs(trajectory, domains, analysis.rdf_r_max_A, analysis.rdf_n_bins,
                                                      metadata={'call_link_label': 'region_rdfs'}))
        for assignment in ASSIGNMENTS:
            self.out(f'msd_{assignment}', interface_domain_msd(
                trajectory, domains, analysis.mobile_species, orm.Str(assignment),
                metadata={'call_link_label': f'msd_{assignment}'}))
        self.out('crystallinity_plot', interface_profile_plot(crystallinity['profile'], domains,
                                                              metadata={'call_link_label': 'crystallinity_plot'}))
        widths = domains['interface_widths_A']
        self.report(f'domains along z: {" | ".join(domains["names"])}; interface widths '
                    + (', '.join(f'{width:.1f}' for width in widths) + ' A' if widths else 'none'))
        if 'collapse' in self.ctx:
            return self.exit_codes.WARNING_STRUCTURE_COLLAPSED.format(message=self.ctx.collapse)
        if not widths:
            return self.exit_codes.WARNING_NO_INTERFACE.format(domains=', '.join(domains['names']))
        return None
