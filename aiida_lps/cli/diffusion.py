"""``aiida-lps diffusion``: tracer and collective diffusion and conductivity of one MD trajectory, as JSON.

Works on any trajectory file ASE can read (extxyz, lammps-dump-text, vasp-xdatcar, ...) without an AiiDA
profile; the analysis modules are imported inside the command so that ``aiida-lps --help`` stays fast.
"""
import json
import math
import os

import click

#: The automatic fit window ends at half the trajectory and spans at least 2 lags, so 5 frames are the minimum.
MIN_FRAMES = 5


@click.command('diffusion')
@click.argument('trajectory', type=click.Path(exists=True, dir_okay=False))
@click.option('--species', required=True, help='Chemical symbol of the mobile ion, e.g. Li.')
@click.option('--timestep-fs', type=click.FloatRange(min=0, min_open=True), required=True,
              help='MD integration time step, fs.')
@click.option('--temperature', 'temperature_K', type=click.FloatRange(min=0, min_open=True), required=True,
              help='MD temperature, K.')
@click.option('--charge', type=float, default=1.0, show_default=True,
              help='Charge of the mobile ion, elementary charges.')
@click.option('--stride-fs', type=click.FloatRange(min=0, min_open=True), default=None,
              help='Time between stored frames, fs (a multiple of the time step); default: the time step.')
@click.option('--fit-start-ps', type=click.FloatRange(min=0), default=None,
              help='Start of the MSD fit window, ps; default: automatic.')
@click.option('--fit-end-ps', type=click.FloatRange(min=0, min_open=True), default=None,
              help='End of the MSD fit window, ps; default: half the trajectory.')
@click.option('--format', 'file_format', default=None, help='ASE format name if it cannot be guessed from the file.')
def diffusion(trajectory, species, timestep_fs, temperature_K, charge, stride_fs, fit_start_ps, fit_end_ps,
              file_format):
    """Diffusion coefficient and Nernst-Einstein conductivity of SPECIES in TRAJECTORY, printed as JSON.

    "tracer" is the Haven-free result (tracer D*, Haven ratio taken as 1); "collective" uses the MSD of the
    summed carrier displacements (D_sigma, noisier). Errors are one standard error from a random-walk GLS
    fit (docs/conductivity.md). "matrix_flow" says whether the other species diffuse as well. When the
    automatic fit window cannot be justified, the numbers are those of the best window, with "diffusive": false
    and the reason; the command still exits 0 (give --fit-start-ps/--fit-end-ps to choose the window).
    Wrapped positions are unwrapped (frames must be close enough that no atom moves half a cell between
    them); LAMMPS dumps need an ``element`` column so that SPECIES can be found. A file that cannot be read, or
    that is too short or changes its atoms between frames, ends the command with one error line and exit 1
    (exit 2 for a bad option value).
    """
    frame_interval_fs = _frame_interval_fs(timestep_fs, stride_fs)
    report = _analyse(trajectory, file_format, species, frame_interval_fs / 1000.0, temperature_K, charge,
                      fit_start_ps, fit_end_ps)
    report['frame_interval_fs'] = frame_interval_fs
    click.echo(json.dumps(report, indent=2))


def _frame_interval_fs(timestep_fs, stride_fs):
    """Time between stored frames, fs; the stride must be a whole number of time steps."""
    if stride_fs is None:
        return timestep_fs
    n_steps = stride_fs / timestep_fs
    if abs(n_steps - round(n_steps)) > 1e-6 * n_steps or round(n_steps) < 1:
        raise click.BadParameter(f'{stride_fs} fs is not a multiple of the {timestep_fs} fs time step',
                                 param_hint='--stride-fs')
    return stride_fs


def _read_frames(path, file_format, species):
    """All frames of the trajectory, checked: readable, at least :data:`MIN_FRAMES`, the same atoms in the same
    order in every frame, and some ``species`` atoms.

    :raises click.ClickException: naming the file, the problem and the fix.
    :raises click.BadParameter: for an unknown ``--format`` or a species the file does not hold.
    """
    import ase.io
    import numpy as np
    from ase.io.formats import UnknownFileTypeError, ioformats

    if file_format is not None and file_format not in ioformats:
        raise click.BadParameter(f'{file_format!r} is not an ASE format, e.g. extxyz, lammps-dump-text, vasp-xdatcar',
                                 param_hint='--format')
    if os.path.getsize(path) == 0:
        raise click.ClickException(f'{path} is empty: give a trajectory file')
    try:
        frames = ase.io.read(path, index=':', format=file_format)
    except UnknownFileTypeError as exception:
        raise click.ClickException(f'ASE cannot tell the format of {path} ({exception}): give it with --format, '
                                   'e.g. --format extxyz') from exception
    except Exception as exception:  # ASE's readers raise anything from ValueError to IndexError on a bad file
        problem = ' '.join(f'{type(exception).__name__}: {exception}'.split())
        raise click.ClickException(f'cannot read {path} ({problem}): is it a complete trajectory? If it is, give '
                                   'its ASE format with --format') from exception
    if not frames:
        raise click.ClickException(f'ASE read no frames from {path}: is it a trajectory? Check --format')
    if len(frames) < MIN_FRAMES:
        raise click.ClickException(f'{path} holds {len(frames)} frame(s); an MSD fit needs at least {MIN_FRAMES}: '
                                   'give a longer trajectory')
    for index, atoms in enumerate(frames):
        if len(atoms) != len(frames[0]):
            mismatch = f'has {len(atoms)} atoms, frame 0 has {len(frames[0])}'
        elif not np.array_equal(atoms.numbers, frames[0].numbers):
            mismatch = 'lists its elements in another order than frame 0'
        else:
            continue
        raise click.ClickException(f'frame {index} of {path} {mismatch}: an MSD needs the same atoms in the same '
                                   'order in every frame')
    if species not in frames[0].symbols:
        raise click.BadParameter(f'no {species} atoms in {path}; species present: '
                                 f'{", ".join(sorted(set(frames[0].get_chemical_symbols())))}', param_hint='--species')
    return frames


def _analyse(path, file_format, species, frame_interval_ps, temperature_K, charge, fit_start_ps, fit_end_ps):
    """Read, unwrap, compute MSDs and fits; return the JSON-ready report."""
    import numpy as np

    from aiida_lps.analysis.diffusion import assess_matrix_flow, fit_diffusivity, fit_diffusivity_best_window
    from aiida_lps.analysis.msd import collective_msd, tracer_msd, unwrap_positions

    frames = _read_frames(path, file_format, species)
    symbols = np.array(frames[0].get_chemical_symbols())
    mobile = np.flatnonzero(symbols == species)
    positions = np.array([atoms.get_positions() for atoms in frames])
    if all(frames[0].pbc):
        positions = unwrap_positions(positions, np.array([atoms.cell.array for atoms in frames]))
    masses = frames[0].get_masses()
    framework = np.flatnonzero(symbols != species)

    try:
        tracer = fit_diffusivity_best_window(tracer_msd(positions, mobile, framework, masses).sum(axis=-1),
                                             frame_interval_ps, fit_start_ps=fit_start_ps, fit_end_ps=fit_end_ps)
    except ValueError as exception:  # the window does not fit in the trajectory
        raise click.BadParameter(f'{exception} ({path} is {(len(frames) - 1) * frame_interval_ps:g} ps long)',
                                 param_hint="'--fit-start-ps' / '--fit-end-ps'") from exception
    collective = fit_diffusivity(collective_msd(positions, mobile, framework, masses).sum(axis=-1)[:, None],
                                 frame_interval_ps, fit_start_ps=tracer.fit_start_ps, fit_end_ps=tracer.fit_end_ps)
    volume_A3 = float(np.mean([atoms.get_volume() for atoms in frames])) if all(frames[0].pbc) else None
    conductivity_args = {'n_carriers': int(mobile.size), 'volume_A3': volume_A3, 'temperature_K': temperature_K,
                         'charge': charge}
    framework_msd = {
        symbol: tracer_msd(positions, np.flatnonzero(symbols == symbol), framework, masses).sum(axis=-1)
        for symbol in sorted(set(symbols[framework]))
    }
    matrix = assess_matrix_flow(framework_msd, frame_interval_ps) if framework_msd else None
    return {
        'species': species,
        'n_carriers': int(mobile.size),
        'n_frames': len(frames),
        'temperature_K': temperature_K,
        'volume_A3': volume_A3,
        'diffusive': tracer.is_diffusive,
        'not_diffusive_reason': tracer.not_diffusive_reason,
        'fit_start_ps': tracer.fit_start_ps,
        'fit_end_ps': tracer.fit_end_ps,
        'tracer': _transport_summary(tracer, conductivity_args),
        'collective': _transport_summary(collective, conductivity_args),
        'haven_ratio': _haven_ratio_or_none(tracer, collective),
        'matrix_flow': None if matrix is None else {'is_flowing': matrix.is_flowing, 'reason': matrix.reason},
    }


def _transport_summary(fit, conductivity_args):
    """D in both units and, for a periodic cell, the Nernst-Einstein conductivity in S/cm."""
    from aiida_lps.analysis.conductivity import nernst_einstein_conductivity

    summary = {
        'diffusivity_A2_per_ps': fit.diffusivity_A2_per_ps,
        'diffusivity_err_A2_per_ps': fit.diffusivity_err_A2_per_ps,
        'diffusivity_cm2_per_s': fit.diffusivity_cm2_per_s,
        'diffusivity_err_cm2_per_s': fit.diffusivity_err_cm2_per_s,
        'dispersion_ratio': fit.dispersion_ratio if math.isfinite(fit.dispersion_ratio) else None,
        'conductivity_S_per_cm': None,
        'conductivity_err_S_per_cm': None,
    }
    if conductivity_args['volume_A3'] is not None:
        sigma, sigma_err = nernst_einstein_conductivity(fit.diffusivity_A2_per_ps, fit.diffusivity_err_A2_per_ps,
                                                        **conductivity_args)
        summary.update(conductivity_S_per_cm=sigma, conductivity_err_S_per_cm=sigma_err)
    return summary


def _haven_ratio_or_none(tracer, collective):
    """(H, H_err) as a dict, or None when the collective MSD shows no positive D_sigma."""
    from aiida_lps.analysis.conductivity import haven_ratio

    if collective.diffusivity_A2_per_ps <= 0:
        return None
    ratio, ratio_err = haven_ratio(tracer.diffusivity_A2_per_ps, tracer.diffusivity_err_A2_per_ps,
                                   collective.diffusivity_A2_per_ps, collective.diffusivity_err_A2_per_ps)
    return {'value': ratio, 'err': ratio_err}
