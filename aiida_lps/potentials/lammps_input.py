"""LAMMPS input scripts for MD with a GAP (``pair_style quip``), a SNAP (``pair_style snap``) or a POD
(``pair_style pod``), in ``metal`` units (eV, Angstrom, ps).

One script runs a list of stages (NVT Nose-Hoover or NVE) after optional velocity initialisation; coordinates are
dumped unwrapped (``xu yu zu``) so MSDs need no unwrapping. A script has exactly one ``pair_style`` and never a
``hybrid`` (QUIP keeps one global potential per process).

Wall time: with ``timeout_s`` LAMMPS's ``timer timeout`` stops the running stage, the script writes a binary restart
file (positions, image flags, velocities, the Nose-Hoover state of the stage's fix), prints ``RESTART_MARK`` with the
step and skips the rest. A script with ``restart_step`` reads that file instead of the data file and runs the rest
of that stage (``run ... upto``, with ``start``/``stop`` so a temperature ramp goes on where it was) and the later
stages; the pair style is given again, because ``quip``, ``snap`` and ``pod`` store nothing in restart files.
"""
from __future__ import annotations

from collections.abc import Sequence

__all__ = ('MD_DEFAULTS', 'RESTART_MARK', 'validate_md_parameters', 'with_shorter_timestep', 'stage_steps',
           'quip_pair_commands', 'snap_pair_commands', 'pod_pair_commands', 'md_input_script')

MD_DEFAULTS = {
    'timestep_fs': 2.0,
    'initial_temperature_K': None,
    'seed': 1,
    'thermo_every': 10,
    'dump_every': 10,
    'stages': [],
    'restart_step': 0,
}
#: Printed to the log with the step when a run stopped at its timeout has written its restart file.
RESTART_MARK = 'restart file written at step'
#: Nose-Hoover damping of a stage without ``damping_fs``, in time steps.
DAMPING_TIMESTEPS = 100
STAGE_KEYS = {'ensemble', 'steps', 'temperature_K', 'final_temperature_K', 'damping_fs', 'dump', 'end_at_mean_energy'}


def validate_md_parameters(parameters: dict) -> str | None:
    """Return a message naming what is wrong with MD ``parameters``, or None when they are usable."""
    unknown = set(parameters) - set(MD_DEFAULTS)
    if unknown:
        return f'unknown MD parameters {sorted(unknown)}; known: {sorted(MD_DEFAULTS)}'
    merged = {**MD_DEFAULTS, **parameters}
    if merged['timestep_fs'] <= 0:
        return f'timestep_fs must be positive, got {merged["timestep_fs"]}'
    if not merged['stages']:
        return 'give at least one stage, e.g. {"ensemble": "nvt", "steps": 1000, "temperature_K": 600}'
    for index, stage in enumerate(merged['stages']):
        unknown = set(stage) - STAGE_KEYS
        if unknown:
            return f'stage {index}: unknown keys {sorted(unknown)}; known: {sorted(STAGE_KEYS)}'
        if stage.get('ensemble') not in ('nvt', 'nve'):
            return f'stage {index}: ensemble must be "nvt" or "nve", got {stage.get("ensemble")!r}'
        if int(stage.get('steps', 0)) <= 0:
            return f'stage {index}: steps must be a positive integer'
        if stage['ensemble'] == 'nvt' and not stage.get('temperature_K'):
            return f'stage {index}: an nvt stage needs temperature_K'
        if stage.get('end_at_mean_energy') and (stage['ensemble'] != 'nvt' or int(stage['steps']) < 2):
            return f'stage {index}: end_at_mean_energy needs an nvt stage of at least 2 steps'
    if not any(stage.get('dump', True) for stage in merged['stages']):
        return 'no stage dumps frames: leave dump true (the default) on at least one stage'
    total = stage_steps(merged)[-1][1]
    if not 0 <= int(merged['restart_step']) < total:
        return f'restart_step must be from 0 to below the {total} steps of the stages, got {merged["restart_step"]}'
    return None


def stage_steps(parameters: dict) -> list[tuple[int, int]]:
    """(first, last) step of each stage of MD ``parameters``, counted over the whole run."""
    bounds, first = [], 0
    for stage in {**MD_DEFAULTS, **parameters}['stages']:
        bounds.append((first, first + int(stage['steps'])))
        first += int(stage['steps'])
    return bounds


def with_shorter_timestep(parameters: dict, factor: float) -> dict:
    """MD ``parameters`` with the time step (fs) multiplied by ``factor`` (below 1) and the same run in ps.

    Every stage's ``steps`` and the ``thermo_every``/``dump_every`` strides are divided by ``factor`` (rounded), so
    stages last as long and frames are dumped at the same times; an NVT stage without ``damping_fs`` is given the
    damping it had (``DAMPING_TIMESTEPS`` old time steps, fs).
    """
    merged = {**MD_DEFAULTS, **parameters}

    def steps(count: int) -> int:
        return max(1, round(int(count) / factor))

    stages = []
    for stage in merged['stages']:
        stage = {**stage, 'steps': steps(stage['steps'])}
        if stage['ensemble'] == 'nvt':
            stage.setdefault('damping_fs', DAMPING_TIMESTEPS * merged['timestep_fs'])
        stages.append(stage)
    return {**parameters, 'timestep_fs': merged['timestep_fs'] * factor, 'thermo_every': steps(merged['thermo_every']),
            'dump_every': steps(merged['dump_every']), 'stages': stages}


def quip_pair_commands(potential_file: str, potential_label: str, atomic_numbers: Sequence[int]) -> list[str]:
    """``pair_style quip`` and its ``pair_coeff`` line for a GAP xml.

    :param potential_label: the ``<GAP_params>`` label; QUIP's init string is ``IP GAP label=<this>``.
    :param atomic_numbers: atomic number of LAMMPS type 1, 2, ...
    """
    return [
        'pair_style quip',
        f'pair_coeff * * {potential_file} "IP GAP label={potential_label}" {" ".join(map(str, atomic_numbers))}',
    ]


def snap_pair_commands(snapcoeff_file: str, snapparam_file: str, species: Sequence[str]) -> list[str]:
    """``pair_style snap`` and its ``pair_coeff`` line; LAMMPS type t is the snapcoeff element ``species[t - 1]``."""
    return ['pair_style snap', f'pair_coeff * * {snapcoeff_file} {snapparam_file} {" ".join(species)}']


def pod_pair_commands(parameter_file: str, coefficient_file: str, species: Sequence[str]) -> list[str]:
    """``pair_style pod`` and its ``pair_coeff`` line; LAMMPS type t is the element ``species[t - 1]``."""
    return ['pair_style pod', f'pair_coeff * * {parameter_file} {coefficient_file} {" ".join(species)}']


def md_input_script(parameters: dict, data_file: str, pair_commands: Sequence[str], masses: Sequence[float],
                    dump_file: str, *, restart_file: str, continued_file: str, timeout_s: float | None = None,
                    timeout_check_every: int = 10) -> str:
    """The LAMMPS input script for validated MD ``parameters`` (see ``MD_DEFAULTS``).

    :param pair_commands: the ``pair_style`` and ``pair_coeff`` lines (``quip_pair_commands``,
        ``snap_pair_commands``, ``pod_pair_commands``), whose type order is that of ``masses`` and of the data file.
    :param masses: mass of each type, amu.
    :param restart_file: the binary restart file written when the timeout stops a run.
    :param continued_file: the restart file read instead of ``data_file`` when ``parameters['restart_step']`` is
        above 0 (the step it was written at).
    :param timeout_s: wall time (s) after which LAMMPS stops the running stage, checked every
        ``timeout_check_every`` steps; None: no timeout.
    """
    merged = {**MD_DEFAULTS, **parameters}
    restart_step = int(merged['restart_step'])
    lines = [f'timer timeout {timeout_s:.6f} every {timeout_check_every}'] if timeout_s is not None else []
    if restart_step:
        lines.append(f'read_restart {continued_file}')
    else:
        lines += ['units metal', 'atom_style atomic', 'boundary p p p', f'read_data {data_file}',
                  *[f'mass {index} {mass}' for index, mass in enumerate(masses, start=1)]]
    lines += [
        *pair_commands,
        f'timestep {merged["timestep_fs"] / 1000.0}',
        'thermo_style custom step time temp pe ke etotal press vol',
        'thermo_modify lost error flush yes',
        f'thermo {merged["thermo_every"]}',
    ]
    if merged['initial_temperature_K'] and not restart_step:
        lines.append(
            f'velocity all create {merged["initial_temperature_K"]} {merged["seed"]} dist gaussian mom yes rot yes'
        )
    stop_at_timeout = None
    if timeout_s is not None:
        stop_at_timeout = (f'if "$(is_timeout())" then "write_restart {restart_file}" '
                           f"\"print '{RESTART_MARK} $(step)'\" \"jump SELF timeout\"")
    dumping = False
    for index, (stage, (first_step, last_step)) in enumerate(zip(merged['stages'], stage_steps(merged))):
        if last_step <= restart_step:
            continue
        wants_dump = stage.get('dump', True)
        if wants_dump and not dumping:
            lines.append(f'dump traj all custom {merged["dump_every"]} {dump_file} id type xu yu zu')
            lines.append('dump_modify traj sort id format float %.10g')
            dumping = True
        elif not wants_dump and dumping:
            lines.append('undump traj')
            dumping = False
        if stage['ensemble'] == 'nvt':
            damping_ps = stage.get('damping_fs', DAMPING_TIMESTEPS * merged['timestep_fs']) / 1000.0
            start = stage['temperature_K']
            end = stage.get('final_temperature_K', start)
            lines.append(f'fix stage{index} all nvt temp {start} {end} {damping_ps}')
        else:
            lines.append(f'fix stage{index} all nve')
        run = [f'run {last_step} upto start {first_step} stop {last_step}' if restart_step > first_step
               else f'run {last_step - first_step}']
        if stop_at_timeout:
            run.append(stop_at_timeout)
        if stage.get('end_at_mean_energy'):
            average_from_step = max(first_step + (last_step - first_step) // 2, restart_step)
            lines.extend(_mean_energy_switch(f'stage{index}', average_from_step, run))
        else:
            lines.extend(run)
        lines.append(f'unfix stage{index}')
    if stop_at_timeout:
        lines.append('label timeout')
    return '\n'.join(lines) + '\n'


def _mean_energy_switch(name: str, average_from_step: int, run: list[str]) -> list[str]:
    """The ``run`` lines of an NVT stage, then scale the velocities so the total energy equals its mean since
    ``average_from_step`` (a continued stage averages from the step it continues from).

    A following NVE run then samples the canonical mean energy instead of the energy of the last NVT step, whose
    canonical spread makes the NVE temperature of an N-atom cell miss the target by about 1/sqrt(3N) (14 % for 16
    atoms). The kinetic energy alone is changed, by the factor (<E_pot + E_kin> - E_pot) / E_kin.
    """
    return [
        f'compute {name}_kinetic all ke',
        f'fix {name}_energy all ave/time 1 1 1 c_thermo_pe c_{name}_kinetic ave running start {average_from_step}',
        *run,
        f'variable {name}_switch_temperature equal temp*(f_{name}_energy[1]+f_{name}_energy[2]-pe)/ke',
        f'velocity all scale ${{{name}_switch_temperature}}',
        f'unfix {name}_energy',
        f'uncompute {name}_kinetic',
    ]
