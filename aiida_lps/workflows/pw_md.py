"""``PwMdWorkChain`` (``lps.pw_md``): Born-Oppenheimer MD in pw.x, in segments, with the outputs of the LAMMPS path.

Equilibration with an Andersen thermostat (pw.x ``ion_temperature='andersen'``: each atom's velocity is redrawn
at T on average every ``thermostat_damping_fs``; pw.x 6.7's Berendsen, svr and rescaling thermostats divide by
the not yet computed temperature on the first step of a run started from given velocities and return NaN, measured),
then NVE production (``'not_controlled'``), both with second-order extrapolation of
wave functions and charge density. Every pw.x run (``PwMdCalculation``) starts from positions and velocities;
pw.x prints no velocities, so a run is continued from its second-to-last frame with central-difference
velocities, exact for Verlet (``aiida_lps.sampling.md_segments``). The same continuation serves every cut: the
equilibration-to-production switch, a run stopped by its wall time (pw.x ``max_seconds``, 95 % of
``max_wallclock_seconds``) and the retry of an SCF that stopped converging (once, with half the mixing beta; the
time step stays, so frames remain equally spaced). ``join_pw_md_segments`` makes the ``trajectory``, ``thermo``
and ``msd`` outputs of ``LammpsMdCalculation`` from the kept frames, so the conductivity analysis reads either.
"""
from __future__ import annotations

from aiida import orm
from aiida.engine import WorkChain, while_
from aiida.plugins import GroupFactory
from aiida_quantumespresso.calculations.functions.create_kpoints_from_distance import (
    create_kpoints_from_distance,
)
from aiida_quantumespresso.calculations.pw import PwCalculation

from aiida_lps.calculations.functions.join_pw_md_segments import (
    SEGMENT_PREFIX,
    complete_steps,
    join_pw_md_segments,
)
from aiida_lps.calculations.functions.md_initial_velocities import md_initial_velocities
from aiida_lps.calculations.functions.md_restart_state import md_restart_state
from aiida_lps.calculations.pw_md import (
    VELOCITIES_ARRAY,
    PwMdCalculation,
    timestep_problem,
)
from aiida_lps.parsers.raw.pw_md import scf_failed
from aiida_lps.sampling.md_segments import RESTART_OVERLAP, RY_TIME_FS, kept_frames
from aiida_lps.workflows.labelling import DftLabellingWorkChain
from aiida_lps.workflows.protocols import ProtocolMixin

__all__ = ('PwMdWorkChain',)

#: Walltime exit codes of PwCalculation after which the run's frames are continued.
WALLTIME_STATUSES = (PwCalculation.exit_codes.ERROR_OUT_OF_WALLTIME.status,
                     PwCalculation.exit_codes.ERROR_OUT_OF_WALLTIME_INTERRUPTED.status)


def validate_inputs(inputs, _):
    """Velocities where the run needs them, a time step within the bound, whole dump intervals of production."""
    if not {'structure', 'md'} <= set(inputs):
        return None
    md, structure = inputs['md'], inputs['structure']
    if 'seed' not in md and 'velocities' not in inputs:
        return ('no starting velocities: give `md.seed` (Maxwell-Boltzmann at md.temperature_K) or `velocities` '
                '(Angstrom/ps): pw.x would start from rest')
    if 'velocities' in inputs:
        shape = inputs['velocities'].get_shape(VELOCITIES_ARRAY)
        if shape != (len(structure.sites), 3):
            return f'`velocities` has shape {shape}, the structure has {len(structure.sites)} sites'
    message = timestep_problem(md['timestep_fs'].value, structure.get_ase().get_chemical_symbols())
    if message:
        return message
    if md['production_steps'].value <= RESTART_OVERLAP or md['equilibration_steps'].value < 0:
        return (f'production_steps ({md["production_steps"].value}) must exceed {RESTART_OVERLAP} and '
                f'equilibration_steps ({md["equilibration_steps"].value}) must not be negative')
    if md['production_steps'].value % md['dump_every'].value:
        return f'production_steps {md["production_steps"].value} is no multiple of dump_every {md["dump_every"].value}'
    return None


class PwMdWorkChain(ProtocolMixin, WorkChain):
    """NVT (Andersen) equilibration and NVE production in pw.x; trajectory (Angstrom, ps), thermo and MSD."""

    _protocol_file = 'pw_md.yaml'
    _protocol_extra_keys = ('labelling_overrides',)
    #: The SCF retry divides ELECTRONS mixing_beta by this.
    MIXING_BETA_DIVISOR = 2.0
    #: pw.x max_seconds as a fraction of the scheduler's max_wallclock_seconds (PwBaseWorkChain's factor).
    MAX_SECONDS_FRACTION = 0.95

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('code', valid_type=orm.AbstractCode, help='pw.x.')
        spec.input('structure', valid_type=orm.StructureData, help='Starting structure, Angstrom.')
        spec.input('velocities', valid_type=orm.ArrayData, required=False,
                   help=f'Starting velocities, Angstrom/ps (array `{VELOCITIES_ARRAY}`, n_sites x 3); else md.seed.')
        spec.input('pseudo_family', valid_type=orm.Str, help='Label of an aiida-pseudo family.')
        spec.input('parameters', valid_type=orm.Dict,
                   help='pw.x namelists of the labels (SYSTEM cutoffs in Ry, ELECTRONS conv_thr in Ry, ...); the MD '
                        'keys are set by the work chain.')
        spec.input('kpoints_distance', valid_type=orm.Float, help='k-point spacing, 1/Angstrom (2 pi included).')
        spec.input_namespace('md', help='MD settings.')
        spec.input('md.temperature_K', valid_type=orm.Float, help='Thermostat and starting temperature, K.')
        spec.input('md.timestep_fs', valid_type=orm.Float, help='Time step, fs (at most 2 fs with Li).')
        spec.input('md.equilibration_steps', valid_type=orm.Int, help='Andersen NVT steps (0: NVE only).')
        spec.input('md.thermostat_damping_fs', valid_type=orm.Float, default=lambda: orm.Float(100.0),
                   help='Andersen collision time per atom, fs (rounded to whole steps).')
        spec.input('md.production_steps', valid_type=orm.Int, help='NVE steps.')
        spec.input('md.dump_every', valid_type=orm.Int, default=lambda: orm.Int(1),
                   help='Store every n-th production step in the trajectory.')
        spec.input('md.seed', valid_type=orm.Int, required=False,
                   help='Seed of the Maxwell-Boltzmann starting velocities at temperature_K.')
        spec.input('max_segments', valid_type=orm.Int, default=lambda: orm.Int(20),
                   help='Most pw.x runs (wall-time continuations and the SCF retry included).')
        spec.input('options', valid_type=dict, non_db=True, default=dict,
                   help='metadata.options of every PwMdCalculation (resources, max_wallclock_seconds in s, ...).')
        spec.inputs.validator = validate_inputs
        spec.outline(
            cls.setup,
            while_(cls.should_run_segment)(
                cls.run_segment,
                cls.inspect_segment,
            ),
            cls.results,
        )
        spec.output('trajectory', valid_type=orm.TrajectoryData,
                    help='Production frames, unwrapped, Angstrom; times in ps, step ids over the whole run.')
        spec.output('thermo', valid_type=orm.ArrayData,
                    help='Every step: Step, Time (ps), Temp (K), PotEng, KinEng, TotEng (eV), Volume (Angstrom^3), '
                         'stage (0 equilibration, 1 production).')
        spec.output('msd', valid_type=orm.ArrayData, help='Per-species MSD (n_frames, 3), Angstrom^2, and lag_ps.')
        spec.exit_code(310, 'ERROR_PW_FAILED', message='pw.x run {calculation} failed: {reason}; outputs hold the '
                                                       'frames before it')
        spec.exit_code(311, 'ERROR_SEGMENT_TOO_SHORT',
                       message='pw.x run {calculation} completed {n_steps} MD steps, a continuation needs more than '
                               f'{RESTART_OVERLAP}: raise max_wallclock_seconds')
        spec.exit_code(312, 'ERROR_TOO_MANY_SEGMENTS',
                       message='{n_segments} pw.x runs did not finish the MD: raise max_wallclock_seconds or '
                               'max_segments; outputs hold the frames so far')
        spec.exit_code(320, 'ERROR_SCF_NOT_CONVERGED',
                       message='the SCF stopped converging at step {step} again after the retry with mixing_beta '
                               '{mixing_beta}; outputs hold the {n_frames} frames before it')

    @classmethod
    def get_builder_from_protocol(cls, code, structure, temperature_K: float, protocol: str | None = None,
                                  overrides: dict | None = None, options: dict | None = None):
        """Builder for MD of ``structure`` at ``temperature_K`` (K) with the DFT settings of a labelling protocol.

        :param overrides: keys of ``protocols/pw_md.yaml`` (``timestep_fs``, ``production_steps``,
            ``labelling_protocol``, ``seed``, ...) and ``labelling_overrides``, passed to
            ``DftLabellingWorkChain.get_builder_from_protocol``.
        :param options: ``metadata.options`` of every pw.x run; ``max_wallclock_seconds`` defaults to the protocol's.
        """
        inputs = cls.get_protocol_inputs(protocol, overrides)
        labelling = DftLabellingWorkChain.get_builder_from_protocol(
            code, {'md': structure}, protocol=inputs['labelling_protocol'],
            overrides=inputs.get('labelling_overrides'))
        builder = cls.get_builder()
        builder.code = code
        builder.structure = structure
        builder.pseudo_family = labelling.pseudo_family
        builder.parameters = labelling.pw_base['pw']['parameters']
        builder.kpoints_distance = labelling.pw_base['kpoints_distance']
        builder.md = {
            'temperature_K': orm.Float(temperature_K), 'timestep_fs': orm.Float(inputs['timestep_fs']),
            'equilibration_steps': orm.Int(inputs['equilibration_steps']),
            'thermostat_damping_fs': orm.Float(inputs['thermostat_damping_fs']),
            'production_steps': orm.Int(inputs['production_steps']), 'dump_every': orm.Int(inputs['dump_every']),
            'seed': orm.Int(inputs['seed']),
        }
        builder.options = {'max_wallclock_seconds': inputs['max_wallclock_seconds'], **(options or {})}
        return builder

    def setup(self):
        """Starting velocities, k-points and the stages: (name, steps, IONS settings)."""
        md = self.inputs.md
        self.ctx.velocities = (self.inputs.velocities if 'velocities' in self.inputs else md_initial_velocities(
            self.inputs.structure, md.temperature_K, md.seed, metadata={'call_link_label': 'initial_velocities'}))
        self.ctx.structure = self.inputs.structure
        self.ctx.kpoints = create_kpoints_from_distance(
            self.inputs.structure, self.inputs.kpoints_distance, orm.Bool(False),
            metadata={'call_link_label': 'create_kpoints_from_distance'})
        andersen = {'ion_temperature': 'andersen', 'tempw': md.temperature_K.value,
                    'nraise': max(1, round(md.thermostat_damping_fs.value / md.timestep_fs.value))}
        stages = [('equilibration', md.equilibration_steps.value, andersen),
                  ('production', md.production_steps.value, {'ion_temperature': 'not_controlled'})]
        self.ctx.stages = [stage for stage in stages if stage[1] > 0]
        self.ctx.stage, self.ctx.stage_frames, self.ctx.first_step = 0, 0, 0
        self.ctx.segments, self.ctx.plan = [], []
        self.ctx.mixing_beta = self.inputs.parameters.get_dict().get('ELECTRONS', {}).get('mixing_beta', 0.7)
        self.ctx.scf_retried = False

    def should_run_segment(self):
        """True while a stage has frames to go."""
        return self.ctx.stage < len(self.ctx.stages)

    def segment_parameters(self, n_steps: int) -> dict:
        """pw.x namelists of the next run: the labels' settings plus MD of ``n_steps`` steps of this stage."""
        parameters = self.inputs.parameters.get_dict()
        control = parameters.setdefault('CONTROL', {})
        control.update(calculation='md', dt=self.inputs.md.timestep_fs.value / RY_TIME_FS, nstep=n_steps)
        for key in ('tstress', 'etot_conv_thr', 'forc_conv_thr'):
            control.pop(key, None)
        wallclock = self.inputs.options.get('max_wallclock_seconds')
        if wallclock:
            control['max_seconds'] = self.MAX_SECONDS_FRACTION * wallclock
        parameters.setdefault('SYSTEM', {})['nosym'] = True  # velocities break the symmetry
        parameters.setdefault('ELECTRONS', {})['mixing_beta'] = self.ctx.mixing_beta
        parameters['IONS'] = {'ion_velocities': 'from_input', 'pot_extrapolation': 'second_order',
                              'wfc_extrapolation': 'second_order', **self.ctx.stages[self.ctx.stage][2]}
        return parameters

    def run_segment(self):
        """One pw.x run from the current frame and velocities, for the rest of the stage plus the restart overlap."""
        name, wanted, _ = self.ctx.stages[self.ctx.stage]
        n_steps = wanted - self.ctx.stage_frames + RESTART_OVERLAP
        label = f'segment_{len(self.ctx.segments) + 1}'
        family = GroupFactory('pseudo.family').collection.get(label=self.inputs.pseudo_family.value)
        options = {'resources': {'num_machines': 1, 'num_mpiprocs_per_machine': 1}, **self.inputs.options}
        future = self.submit(
            PwMdCalculation, code=self.inputs.code, structure=self.ctx.structure, velocities=self.ctx.velocities,
            pseudos=family.get_pseudos(structure=self.ctx.structure),  # a continued frame names its kinds by element
            kpoints=self.ctx.kpoints, parameters=orm.Dict(self.segment_parameters(n_steps)),
            metadata={'options': options, 'call_link_label': label},
        )
        self.report(f'{name}: launched PwMdCalculation<{future.pk}> ({label}) for {n_steps} steps from step '
                    f'{self.ctx.first_step}')
        self.ctx.segments.append(label)
        return self.to_context(current=future)

    def inspect_segment(self):
        """Keep the frames of the run, then continue, retry a failed SCF once, or stop with what was kept."""
        calculation = self.ctx.current
        n_steps = complete_steps(calculation)
        if 'retrieved' in calculation.outputs and scf_failed(
                calculation.outputs.retrieved.base.repository.get_object_content(PwCalculation._DEFAULT_OUTPUT_FILE)):
            return self.handle_scf_failure(calculation, n_steps)
        if not calculation.is_finished_ok and calculation.exit_status not in WALLTIME_STATUSES:
            self.keep(calculation, n_steps, continued=False)
            self.results()
            return self.exit_codes.ERROR_PW_FAILED.format(
                calculation=f'PwMdCalculation<{calculation.pk}>',
                reason=f'exit {calculation.exit_status}: {calculation.exit_message}')
        if n_steps <= RESTART_OVERLAP:
            self.results()
            return self.exit_codes.ERROR_SEGMENT_TOO_SHORT.format(
                calculation=f'PwMdCalculation<{calculation.pk}>', n_steps=n_steps)
        if calculation.exit_status in WALLTIME_STATUSES:
            self.report(f'PwMdCalculation<{calculation.pk}> reached its wall time after {n_steps} steps: continuing '
                        f'from step {self.ctx.first_step + n_steps - RESTART_OVERLAP}')
        self.continue_from(calculation, n_steps)
        return self.check_segment_count()

    def handle_scf_failure(self, calculation, n_steps: int):
        """Continue the run once more from its last continuable frame with half the mixing beta, then stop."""
        failed_step = self.ctx.first_step + n_steps
        if self.ctx.scf_retried:
            self.keep(calculation, n_steps, continued=False)
            self.results()
            return self.exit_codes.ERROR_SCF_NOT_CONVERGED.format(
                step=failed_step, mixing_beta=self.ctx.mixing_beta, n_frames=self.kept_count())
        self.ctx.scf_retried = True
        self.ctx.mixing_beta /= self.MIXING_BETA_DIVISOR
        self.report(f'PwMdCalculation<{calculation.pk}>: SCF not converged at step {failed_step}; retrying once from '
                    f'step {self.ctx.first_step + max(0, n_steps - RESTART_OVERLAP)} with mixing_beta '
                    f'{self.ctx.mixing_beta:g}')
        if n_steps > RESTART_OVERLAP:
            self.continue_from(calculation, n_steps)
        return self.check_segment_count()

    def continue_from(self, calculation, n_steps: int):
        """Keep all but the last two frames and start the next run at the second-to-last one."""
        state = md_restart_state(calculation.outputs.output_trajectory, orm.Int(n_steps), self.inputs.md.timestep_fs,
                                 metadata={'call_link_label': f'restart_state_{len(self.ctx.segments)}'})
        self.ctx.structure, self.ctx.velocities = state['structure'], state['velocities']
        self.keep(calculation, n_steps, continued=True)
        if self.ctx.stage_frames == self.ctx.stages[self.ctx.stage][1]:
            self.ctx.stage += 1
            self.ctx.stage_frames = 0

    def keep(self, calculation, n_steps: int, continued: bool):
        """Record which frames of ``calculation`` enter the joined trajectory."""
        kept = kept_frames(n_steps, continued)
        if kept:
            self.ctx.plan.append({'label': self.ctx.segments[-1], 'kept': kept, 'stage': self.ctx.stage,
                                  'first_step': self.ctx.first_step, 'pk': calculation.pk})
        self.ctx.first_step += kept
        self.ctx.stage_frames += kept

    def kept_count(self) -> int:
        """Frames kept so far, over all stages."""
        return sum(entry['kept'] for entry in self.ctx.plan)

    def check_segment_count(self):
        """Stop with the frames so far when the MD is unfinished after ``max_segments`` runs."""
        if self.should_run_segment() and len(self.ctx.segments) >= self.inputs.max_segments.value:
            self.results()
            return self.exit_codes.ERROR_TOO_MANY_SEGMENTS.format(n_segments=len(self.ctx.segments))
        return None

    def results(self):
        """Join the kept frames of every run into ``trajectory``, ``thermo`` and ``msd``."""
        if not self.ctx.plan:
            return
        runs = {}
        for entry in self.ctx.plan:
            calculation = orm.load_node(entry['pk'])
            runs[SEGMENT_PREFIX[0] + entry['label']] = calculation.outputs.output_trajectory
            runs[SEGMENT_PREFIX[1] + entry['label']] = calculation.outputs.retrieved
        joined = join_pw_md_segments(orm.Dict({'segments': self.ctx.plan}), self.inputs.md.timestep_fs,
                                     self.inputs.md.dump_every, metadata={'call_link_label': 'join_segments'}, **runs)
        for name, node in joined.items():
            self.out(name, node)
        self.report(f'{self.kept_count()} MD steps in {len(self.ctx.segments)} pw.x run(s), '
                    f'{joined["trajectory"].numsteps} production frames stored')
