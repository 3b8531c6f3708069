"""Conductivity of MD trajectories per temperature (ensembles of structures) and the Arrhenius summary.

The numbers behind ``ArrheniusWorkChain``, as plain dicts of floats, strings and lists that can be stored as
they are (in an AiiDA ``Dict`` or as JSON). Every estimator is one of the analysis modules:

- per trajectory: drift-corrected tracer MSD of the mobile species -> :func:`~.diffusion.fit_diffusivity`
  (random-walk GLS, errors that respect overlapping time origins; where the automatic window cannot be
  justified, the best-window estimate flagged not diffusive, :func:`~.diffusion.fit_diffusivity_best_window`)
  -> Nernst-Einstein sigma (:mod:`.conductivity`) at the run's mean kinetic temperature; the collective MSD
  over the same window -> D_sigma; the framework MSDs (P, S) -> :func:`~.diffusion.assess_matrix_flow`; for a
  crystal, the phase it ended in -> :func:`~.phase_guard.assess_phase`;
- per temperature, over an ensemble of structures: the mean of each quantity, with the standard error of
  the mean from the scatter between structures (:func:`~.arrhenius.ensemble_average`) or, when larger, the
  propagated per-structure errors, sqrt(sum err_i^2) / n. With two or three structures the scatter alone
  is a poor estimate of the error and can be accidentally tiny; neither source is ever ignored. Structures
  whose MSD never became diffusive are left out of the mean and listed (with only some of an ensemble
  diffusive the mean leans to the mobile ones; the summary says which were dropped); when none is, the mean
  is that of their best-window estimates, flagged not diffusive;
- Haven ratio H = D* / D_sigma from the ensemble means, only where D_sigma exceeds
  ``HAVEN_SIGNIFICANCE`` standard errors (otherwise H is noise and is reported as None);
- measured temperatures: the mean kinetic temperature of each NVE production run, when given, is the T of
  Nernst-Einstein for that run and, averaged over the structures used, the T of the Arrhenius abscissa 1/T
  (the nominal T is only the label of the point). A potential that releases energy (an unphysical minimum of
  an under-trained GAP) heats an NVE run far above T, so a temperature whose runs deviate by more than
  ``max_temperature_deviation`` (default ``MAX_TEMPERATURE_DEVIATION`` = 10 %, about the standard deviation
  sqrt(1/(3N)) of the last NVT step's temperature in a 32-atom cell, which the mean-energy switch removes) is
  flagged: such a run no longer samples the intended state;
- across temperatures: the weighted Arrhenius fit (:func:`~.arrhenius.fit_arrhenius`) of the tracer
  (Haven-free, as in the thesis) conductivities against 1/T_measured over the temperatures where the MSD
  was diffusive, the matrix did not flow, every crystal stayed in its starting phase (each of the three
  enters only on request) and whose NVE temperature stayed near T; E_A and sigma(300 K) with standard errors
  and Student-t intervals (n - 2 degrees of freedom; log-normal for sigma(300 K)) from the fit covariance,
  and every excluded temperature with its reason.

References: thesis section 6 (SPEC section 5); see :mod:`.diffusion`, :mod:`.conductivity`, :mod:`.arrhenius`
and docs/conductivity.md for the estimators.
"""
import numpy as np
from ase.data import atomic_masses, atomic_numbers

from .arrhenius import (
    CONFIDENCE,
    MIN_TEMPERATURES,
    ArrheniusFit,
    TooFewTemperaturesError,
    ensemble_average,
    fit_arrhenius,
)
from .conductivity import haven_ratio, nernst_einstein_conductivity
from .diffusion import A2_PER_PS_IN_CM2_PER_S, assess_matrix_flow, fit_diffusivity, fit_diffusivity_best_window
from .msd import collective_msd, tracer_msd
from .phase_guard import assess_phase

__all__ = (
    'ROOM_TEMPERATURE_K',
    'analyse_trajectory',
    'arrhenius_fit_from_summary',
    'select_arrhenius_points',
    'summarise_arrhenius',
    'summarise_temperature',
)

#: Temperature of the extrapolated conductivity, K.
ROOM_TEMPERATURE_K = 300.0
#: D_sigma must exceed this many standard errors for a Haven ratio to be reported.
HAVEN_SIGNIFICANCE = 2.0
#: Relative tolerance on equal spacing of the frame times.
FRAME_SPACING_TOLERANCE = 1e-6
#: Largest accepted |<T_NVE> - T| / T of a production run (module docstring).
MAX_TEMPERATURE_DEVIATION = 0.10


def analyse_trajectory(positions_A, symbols, cells_A, times_ps, temperature_K, *, mobile_species='Li', charge=1.0,
                       fit_start_ps=None, fit_end_ps=None, starting_structure=None):
    """Tracer and collective diffusion, Nernst-Einstein conductivity, matrix flow and phase of one MD trajectory.

    Drift: the centre of mass of the framework (every atom not of ``mobile_species``, mass-weighted) is held
    fixed. The collective fit uses the window of the tracer fit. Where the automatic window cannot be
    justified, both are the best-window estimates and ``is_diffusive`` is False.

    :param positions_A: unwrapped positions, shape (n_frames, n_atoms, 3), Angstrom.
    :param symbols: chemical symbols, length n_atoms.
    :param cells_A: cell vectors as rows, shape (n_frames, 3, 3) or (3, 3), Angstrom; the volume is their mean.
    :param times_ps: frame times, shape (n_frames,), ps, equally spaced.
    :param temperature_K: temperature of Nernst-Einstein, K: the run's mean kinetic temperature where known.
    :param mobile_species: chemical symbol of the carriers.
    :param charge: carrier charge, elementary charges.
    :param fit_start_ps: start of the MSD fit window (lag time), ps; None chooses it from the growth of the MSD.
    :param fit_end_ps: end of the MSD fit window, ps; None uses half the trajectory.
    :param starting_structure: the :class:`ase.Atoms` the MD started from, for the phase guard; None: no check.
    :return: dict with ``n_carriers``, ``volume_A3``, ``n_frames``, ``frame_interval_ps``,
        ``mobile_msd_half_run_A2`` (carrier-averaged MSD at a lag of half the run, Angstrom^2: comparable between
        runs even when none is diffusive), ``is_diffusive``, ``not_diffusive_reason`` (str or None), ``tracer``
        and ``collective`` (diffusivity_A2_per_ps, diffusivity_err_A2_per_ps, conductivity_S_per_cm,
        conductivity_err_S_per_cm, dispersion_ratio (None for a single series), fit_start_ps, fit_end_ps; the
        best-window estimates when not diffusive), ``matrix_flow`` (is_flowing, reason, final_msd_A2 per
        framework species; None without framework species) and ``phase`` (starting_phase, final_phase, changed,
        distances, reason; None without a starting structure or when it is no library polymorph).
    """
    positions_A = np.asarray(positions_A, dtype=float)
    symbols = np.asarray(symbols)
    frame_interval_ps = _frame_interval_ps(times_ps)
    mobile = np.flatnonzero(symbols == mobile_species)
    if mobile.size == 0:
        raise ValueError(f'no {mobile_species} atoms in the trajectory (species {sorted(set(symbols))}): '
                         'give the chemical symbol of the mobile ion')
    framework = np.flatnonzero(symbols != mobile_species)
    masses = np.array([atomic_masses[atomic_numbers[symbol]] for symbol in symbols])
    volume_A3 = float(np.mean(np.abs(np.linalg.det(np.asarray(cells_A, dtype=float)))))
    mobile_msd = tracer_msd(positions_A, mobile, framework, masses).sum(axis=-1)
    conductivity_args = {'n_carriers': int(mobile.size), 'volume_A3': volume_A3, 'temperature_K': temperature_K,
                         'charge': charge}
    tracer = fit_diffusivity_best_window(mobile_msd, frame_interval_ps, fit_start_ps=fit_start_ps,
                                         fit_end_ps=fit_end_ps)
    collective = fit_diffusivity(collective_msd(positions_A, mobile, framework, masses).sum(axis=-1)[:, None],
                                 frame_interval_ps, fit_start_ps=tracer.fit_start_ps, fit_end_ps=tracer.fit_end_ps)
    phase = (None if starting_structure is None
             else assess_phase(positions_A, symbols.tolist(), cells_A, starting_structure))
    return {
        'n_carriers': int(mobile.size),
        'volume_A3': volume_A3,
        'n_frames': int(positions_A.shape[0]),
        'frame_interval_ps': frame_interval_ps,
        'mobile_msd_half_run_A2': float(mobile_msd[(positions_A.shape[0] - 1) // 2].mean()),
        'matrix_flow': _matrix_flow(positions_A, symbols, framework, masses, frame_interval_ps),
        'phase': None if phase is None else {
            'starting_phase': phase.starting_phase, 'final_phase': phase.final_phase, 'changed': phase.changed,
            'distances': phase.distances, 'reason': phase.reason},
        'is_diffusive': tracer.is_diffusive,
        'not_diffusive_reason': tracer.not_diffusive_reason,
        'tracer': _transport(tracer, conductivity_args),
        'collective': _transport(collective, conductivity_args),
    }


def _frame_interval_ps(times_ps):
    """The constant spacing of ``times_ps`` (ps); refuses uneven spacing."""
    steps = np.diff(np.asarray(times_ps, dtype=float))
    if steps.size == 0 or np.any(steps <= 0) or np.ptp(steps) > FRAME_SPACING_TOLERANCE * steps.mean():
        raise ValueError('frame times must increase in equal steps (one dump interval); got spacings from '
                         f'{steps.min() if steps.size else "none"} to {steps.max() if steps.size else "none"} ps')
    return float(steps.mean())


def _matrix_flow(positions_A, symbols, framework, masses, frame_interval_ps):
    """``assess_matrix_flow`` on the per-atom MSD of each framework species, as a dict (None if no framework)."""
    if framework.size == 0:
        return None
    per_species_msd = {
        symbol: tracer_msd(positions_A, np.flatnonzero(symbols == symbol), framework, masses).sum(axis=-1)
        for symbol in sorted(set(symbols[framework]))
    }
    check = assess_matrix_flow(per_species_msd, frame_interval_ps)
    return {'is_flowing': bool(check.is_flowing), 'reason': check.reason, 'final_msd_A2': check.final_msd_A2}


def _transport(fit, conductivity_args):
    """D and Nernst-Einstein sigma of one ``DiffusionFit`` as a dict."""
    sigma, sigma_err = nernst_einstein_conductivity(fit.diffusivity_A2_per_ps, fit.diffusivity_err_A2_per_ps,
                                                    **conductivity_args)
    return {
        'diffusivity_A2_per_ps': fit.diffusivity_A2_per_ps,
        'diffusivity_err_A2_per_ps': fit.diffusivity_err_A2_per_ps,
        'conductivity_S_per_cm': float(sigma),
        'conductivity_err_S_per_cm': float(sigma_err),
        'dispersion_ratio': fit.dispersion_ratio if np.isfinite(fit.dispersion_ratio) else None,
        'fit_start_ps': fit.fit_start_ps,
        'fit_end_ps': fit.fit_end_ps,
    }


def summarise_temperature(trajectories, temperature_K, *, mobile_species='Li', charge=1.0, fit_start_ps=None,
                          fit_end_ps=None, max_temperature_deviation=MAX_TEMPERATURE_DEVIATION):
    """Ensemble conductivity at one temperature from the MD trajectories of one or more structures.

    :param trajectories: structure label -> mapping with ``positions_A`` (n_frames, n_atoms, 3) Angstrom,
        unwrapped, ``symbols`` (n_atoms,), ``cells_A`` (n_frames, 3, 3) Angstrom and ``times_ps`` (n_frames,) ps,
        and optionally ``production_temperatures_K`` (n_samples,), K, the kinetic temperature during the run,
        and ``starting_structure``, the :class:`ase.Atoms` the MD started from (phase guard).
    :param temperature_K: nominal MD temperature, K.
    :param mobile_species: chemical symbol of the carriers.
    :param charge: carrier charge, elementary charges.
    :param fit_start_ps: MSD fit window start for every structure, ps; None: automatic per structure.
    :param fit_end_ps: MSD fit window end for every structure, ps; None: half of each trajectory.
    :param max_temperature_deviation: largest accepted relative deviation of a run's mean temperature from
        ``temperature_K``.
    :return: dict with ``temperature_K`` (nominal), ``measured_temperature_K`` (mean Nernst-Einstein T of the
        structures used, K: the Arrhenius abscissa), ``mobile_species``, ``charge``, ``n_structures``,
        ``structures_used`` (the diffusive ones; all when none is), ``not_diffusive`` (label -> reason),
        ``is_diffusive`` (any structure diffusive), the ensemble values ``diffusivity_A2_per_ps``,
        ``diffusivity_cm2_per_s``, ``conductivity_S_per_cm`` and their ``*_err_*`` (tracer, Haven-free; the
        best-window estimates when no structure was diffusive), ``collective_diffusivity_A2_per_ps``,
        ``collective_conductivity_S_per_cm`` and errors, ``haven_ratio`` and ``haven_ratio_err`` (None unless
        D_sigma is significant), ``matrix_flowing`` (any structure), ``matrix_flow_reason``, ``phase_changed``
        (any crystal ended in another phase), ``phase_reason`` and ``final_phases`` (label -> phase, crystals
        only), ``production_temperature_K`` (mean NVE temperature over the structures, K, or None),
        ``temperature_off`` (a run's mean temperature deviates too much; False without temperatures) with
        ``temperature_off_reason``, and ``per_structure`` (label -> the :func:`analyse_trajectory` dict plus
        ``production_temperature_K``, the run's mean or None, and ``nernst_einstein_temperature_K``).
    """
    if not trajectories:
        raise ValueError(f'no trajectories at {temperature_K} K: nothing to analyse')
    per_structure = {}
    for label, data in trajectories.items():
        run_temperatures = data.get('production_temperatures_K')
        production_temperature = None if run_temperatures is None else float(np.mean(run_temperatures))
        measured = production_temperature or float(temperature_K)
        per_structure[label] = {
            **analyse_trajectory(data['positions_A'], data['symbols'], data['cells_A'], data['times_ps'], measured,
                                 mobile_species=mobile_species, charge=charge, fit_start_ps=fit_start_ps,
                                 fit_end_ps=fit_end_ps, starting_structure=data.get('starting_structure')),
            'production_temperature_K': production_temperature,
            'nernst_einstein_temperature_K': measured,
        }
    off = {label: result['production_temperature_K'] for label, result in per_structure.items()
           if result['production_temperature_K'] is not None
           and abs(result['production_temperature_K'] - temperature_K) > max_temperature_deviation * temperature_K}
    used = [label for label, result in per_structure.items() if result['is_diffusive']] or list(per_structure)
    flows = {label: result['matrix_flow'] for label, result in per_structure.items() if result['matrix_flow']}
    phases = {label: result['phase'] for label, result in per_structure.items() if result['phase']}
    summary = {
        'temperature_K': float(temperature_K),
        'measured_temperature_K': float(np.mean([per_structure[label]['nernst_einstein_temperature_K']
                                                 for label in used])),
        'mobile_species': mobile_species,
        'charge': float(charge),
        'n_structures': len(per_structure),
        'structures_used': used,
        'not_diffusive': {label: result['not_diffusive_reason'] for label, result in per_structure.items()
                          if not result['is_diffusive']},
        'is_diffusive': any(result['is_diffusive'] for result in per_structure.values()),
        'matrix_flowing': any(flow['is_flowing'] for flow in flows.values()),
        'matrix_flow_reason': '; '.join(f'{label}: {flow["reason"]}' for label, flow in flows.items()),
        'phase_changed': any(phase['changed'] for phase in phases.values()),
        'phase_reason': '; '.join(f'{label}: {phase["reason"]}' for label, phase in phases.items()),
        'final_phases': {label: phase['final_phase'] for label, phase in phases.items()},
        'production_temperature_K': _mean_or_none([result['production_temperature_K']
                                                   for result in per_structure.values()]),
        'temperature_off': bool(off),
        'temperature_off_reason': '; '.join(
            f'{label}: NVE mean {mean:.0f} K, {100 * (mean / temperature_K - 1):+.0f} % from {temperature_K:g} K '
            f'(tolerance {100 * max_temperature_deviation:g} %)' for label, mean in off.items()),
        'per_structure': per_structure,
    }
    summary.update(_ensemble_transport([per_structure[label] for label in used]))
    return summary


def _mean_or_none(values):
    """Mean of the values that are not None, or None."""
    given = [value for value in values if value is not None]
    return float(np.mean(given)) if given else None


def _ensemble_transport(results):
    """Ensemble means and errors of tracer and collective D and sigma, and the Haven ratio, as a dict."""
    quantities = {}
    for kind, prefix in (('tracer', ''), ('collective', 'collective_')):
        for name, err_name in (('diffusivity_A2_per_ps', 'diffusivity_err_A2_per_ps'),
                               ('conductivity_S_per_cm', 'conductivity_err_S_per_cm')):
            quantities[prefix + name], quantities[prefix + err_name] = _ensemble_mean(
                [r[kind][name] for r in results], [r[kind][err_name] for r in results])
    quantities['diffusivity_cm2_per_s'] = quantities['diffusivity_A2_per_ps'] * A2_PER_PS_IN_CM2_PER_S
    quantities['diffusivity_err_cm2_per_s'] = quantities['diffusivity_err_A2_per_ps'] * A2_PER_PS_IN_CM2_PER_S
    diffusivity, diffusivity_err = quantities['diffusivity_A2_per_ps'], quantities['diffusivity_err_A2_per_ps']
    collective = quantities['collective_diffusivity_A2_per_ps']
    collective_err = quantities['collective_diffusivity_err_A2_per_ps']
    quantities['haven_ratio'] = quantities['haven_ratio_err'] = None
    if collective > HAVEN_SIGNIFICANCE * collective_err and diffusivity != 0:
        ratio, ratio_err = haven_ratio(diffusivity, diffusivity_err, collective, collective_err)
        quantities['haven_ratio'], quantities['haven_ratio_err'] = float(ratio), float(ratio_err)
    return quantities


def _ensemble_mean(values, errors):
    """Mean of per-structure values and its error: the larger of the ensemble and the propagated error."""
    values, errors = np.asarray(values, dtype=float), np.asarray(errors, dtype=float)
    propagated = float(np.sqrt(np.sum(errors**2)) / values.size)
    if values.size == 1:
        return float(values[0]), propagated
    mean, scatter = ensemble_average(values)
    return float(mean), max(float(scatter), propagated)


def select_arrhenius_points(temperature_summaries, *, include_flowing=False, include_not_diffusive=False,
                            include_phase_changed=False):
    """Split per-temperature summaries into points for the Arrhenius fit and excluded temperatures.

    A temperature is excluded when no structure was diffusive (unless ``include_not_diffusive``: then its
    best-window estimate is fitted), when its conductivity is not positive, when the mean NVE temperature of a
    run was far from the nominal one, when a crystal ended in another phase than it started in (unless
    ``include_phase_changed``), or when the matrix flows (unless ``include_flowing``).

    :param temperature_summaries: iterable of :func:`summarise_temperature` dicts.
    :param include_flowing: keep temperatures where the P/S matrix flows.
    :param include_not_diffusive: keep temperatures whose MSD fit window could not be justified.
    :param include_phase_changed: keep temperatures where a crystal left its starting phase.
    :return: (used, excluded): the used summaries sorted by temperature, and a dict temperature (str, K)
        -> reason.
    """
    used, excluded = [], {}
    for summary in sorted(temperature_summaries, key=lambda s: s['temperature_K']):
        key = f'{summary["temperature_K"]:g}'
        if not summary['is_diffusive'] and not include_not_diffusive:
            excluded[key] = 'Li MSD not diffusive: ' + '; '.join(
                f'{label}: {reason}' for label, reason in summary['not_diffusive'].items())
        elif summary['conductivity_S_per_cm'] <= 0:
            excluded[key] = f'non-positive conductivity {summary["conductivity_S_per_cm"]:.3g} S/cm'
        elif summary.get('temperature_off'):
            excluded[key] = 'MD temperature off: ' + summary['temperature_off_reason']
        elif summary.get('phase_changed') and not include_phase_changed:
            excluded[key] = 'phase changed: ' + summary['phase_reason']
        elif summary['matrix_flowing'] and not include_flowing:
            excluded[key] = 'P/S matrix flows: ' + summary['matrix_flow_reason']
        else:
            used.append(summary)
    return used, excluded


def summarise_arrhenius(temperature_summaries, *, include_flowing=False, include_not_diffusive=False,
                        include_phase_changed=False, confidence=CONFIDENCE):
    """Arrhenius fit over the usable temperatures, with E_A, sigma(300 K), their intervals and the exclusions.

    The abscissa is 1/T with T the measured (mean kinetic) temperature of each point where known.

    :param temperature_summaries: iterable of :func:`summarise_temperature` dicts.
    :param include_flowing: keep temperatures where the P/S matrix flows.
    :param include_not_diffusive: keep temperatures whose MSD fit window could not be justified.
    :param include_phase_changed: keep temperatures where a crystal left its starting phase.
    :param confidence: two-sided confidence level of the intervals.
    :return: dict with ``activation_energy_eV``, ``activation_energy_err_eV`` (standard error) and
        ``activation_energy_interval_eV`` ([low, high], Student t), ``room_temperature_K``,
        ``conductivity_300K_S_per_cm``, ``ln_conductivity_300K_err`` (standard error of ln sigma) and
        ``conductivity_300K_interval_S_per_cm`` ([low, high], log-normal, Student t), ``confidence``,
        ``degrees_of_freedom`` (n - 2), ``interval_method`` (one line), ``prefactor_S_K_per_cm``, ``fit`` (the
        :class:`~.arrhenius.ArrheniusFit` fields, covariance as nested lists), the fitted ``temperatures_K``
        (measured), ``nominal_temperatures_K``, ``conductivities_S_per_cm`` and ``conductivity_errs_S_per_cm``,
        ``excluded`` (temperature -> reason), ``flowing_included``, ``not_diffusive_included`` and
        ``phase_changed_included`` (nominal temperatures kept although flagged) and the three ``include_*``.
    :raises TooFewTemperaturesError: when fewer than three temperatures remain, naming the exclusions.
    """
    include = {'include_flowing': bool(include_flowing), 'include_not_diffusive': bool(include_not_diffusive),
               'include_phase_changed': bool(include_phase_changed)}
    used, excluded = select_arrhenius_points(temperature_summaries, **include)
    if len(used) < MIN_TEMPERATURES:
        raise TooFewTemperaturesError(
            f'{len(used)} usable temperatures, an Arrhenius fit needs {MIN_TEMPERATURES}; excluded: '
            + ('; '.join(f'{T} K ({reason})' for T, reason in excluded.items()) or 'none')
        )
    temperatures = [s.get('measured_temperature_K') or s['temperature_K'] for s in used]
    sigma = [s['conductivity_S_per_cm'] for s in used]
    sigma_err = [s['conductivity_err_S_per_cm'] for s in used]
    fit = fit_arrhenius(temperatures, sigma, sigma_err)
    sigma_room_interval = fit.conductivity_interval_S_per_cm(ROOM_TEMPERATURE_K, confidence)
    return {
        'activation_energy_eV': float(fit.activation_energy_eV),
        'activation_energy_err_eV': float(fit.activation_energy_err_eV),
        'activation_energy_interval_eV': [float(value) for value in fit.activation_energy_interval_eV(confidence)],
        'room_temperature_K': ROOM_TEMPERATURE_K,
        'conductivity_300K_S_per_cm': float(fit.conductivity_S_per_cm(ROOM_TEMPERATURE_K)),
        'ln_conductivity_300K_err': float(fit.ln_conductivity_err(ROOM_TEMPERATURE_K)),
        # an upper bound beyond the floating-point range (a long extrapolation from few points) is stored as None
        'conductivity_300K_interval_S_per_cm': [float(value) if np.isfinite(value) else None
                                                for value in sigma_room_interval],
        'confidence': float(confidence),
        'degrees_of_freedom': fit.degrees_of_freedom,
        'interval_method': (f'{100 * confidence:g} % intervals, Student t with n - 2 = {fit.degrees_of_freedom} '
                            f'degrees of freedom (t = {fit.t_quantile(confidence):.3g}); sigma(300 K) log-normal, '
                            'exact in ln sigma'),
        'prefactor_S_K_per_cm': float(fit.prefactor_S_K_per_cm),
        'fit': {
            'slope_K': fit.slope_K,
            'intercept': fit.intercept,
            'parameter_covariance': fit.parameter_covariance.tolist(),
            'chi2_reduced': fit.chi2_reduced,
            'n_temperatures': fit.n_temperatures,
        },
        'temperatures_K': temperatures,
        'nominal_temperatures_K': [s['temperature_K'] for s in used],
        'conductivities_S_per_cm': sigma,
        'conductivity_errs_S_per_cm': sigma_err,
        'excluded': excluded,
        'flowing_included': [f'{s["temperature_K"]:g}' for s in used if s['matrix_flowing']],
        'not_diffusive_included': [f'{s["temperature_K"]:g}' for s in used if not s['is_diffusive']],
        'phase_changed_included': [f'{s["temperature_K"]:g}' for s in used if s.get('phase_changed')],
        **include,
    }


def arrhenius_fit_from_summary(arrhenius_summary):
    """The :class:`~.arrhenius.ArrheniusFit` stored in a :func:`summarise_arrhenius` dict."""
    fit = arrhenius_summary['fit']
    return ArrheniusFit(**{**fit, 'parameter_covariance': np.asarray(fit['parameter_covariance'], dtype=float)})


def interval_text(interval, number_format: str = '.2g') -> str:
    """``low to high`` of a [low, high] interval in ``number_format``; a bound stored as None (beyond the
    floating-point range) reads ``unbounded``."""
    return ' to '.join('unbounded' if bound is None else f'{bound:{number_format}}' for bound in interval)
