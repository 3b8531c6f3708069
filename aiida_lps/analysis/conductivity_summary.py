"""Conductivity of MD trajectories per temperature (ensembles of structures) and the Arrhenius summary.

The numbers behind ``ArrheniusWorkChain``, as plain dicts of floats, strings and lists that can be stored as
they are (in an AiiDA ``Dict`` or as JSON). Every estimator is one of the analysis modules:

- per trajectory: drift-corrected tracer MSD of the mobile species -> :func:`~.diffusion.fit_diffusivity`
  (random-walk GLS, errors that respect overlapping time origins) -> Nernst-Einstein sigma
  (:mod:`.conductivity`); the collective MSD over the same window -> D_sigma; the framework MSDs (P, S) ->
  :func:`~.diffusion.assess_matrix_flow`;
- per temperature, over an ensemble of structures: the mean of each quantity, with the standard error of
  the mean from the scatter between structures (:func:`~.arrhenius.ensemble_average`) or, when larger, the
  propagated per-structure errors, sqrt(sum err_i^2) / n. With two or three structures the scatter alone
  is a poor estimate of the error and can be accidentally tiny; neither source is ever ignored. Structures
  whose MSD never became diffusive are left out of the mean and listed (with only some of an ensemble
  diffusive the mean leans to the mobile ones; the summary says which were dropped);
- Haven ratio H = D* / D_sigma from the ensemble means, only where D_sigma exceeds
  ``HAVEN_SIGNIFICANCE`` standard errors (otherwise H is noise and is reported as None);
- the mean kinetic temperature of each NVE production run, when given. Nernst-Einstein uses the nominal T of
  the preceding NVT run, which is right only while the NVE run stays near it. A potential that releases
  energy (an unphysical minimum of an under-trained GAP) heats an NVE run far above T, so a temperature whose
  runs deviate by more than ``max_temperature_deviation`` (default 25 %, about 2.5 standard deviations of
  the NVE mean of a 32-atom cell, sqrt(1/(3N)) relative, far more for hundreds of atoms) is flagged;
- across temperatures: the weighted Arrhenius fit (:func:`~.arrhenius.fit_arrhenius`) of the tracer
  (Haven-free, as in the thesis) conductivities of the temperatures where the MSD was diffusive and the
  matrix did not flow (flowing points enter only on request) and whose NVE temperature stayed near T, E_A
  and sigma(300 K) with errors from the fit covariance, and every excluded temperature with its reason.

References: thesis section 6 (SPEC section 5); see :mod:`.diffusion`, :mod:`.conductivity`, :mod:`.arrhenius`
and docs/conductivity.md for the estimators.
"""
import numpy as np
from ase.data import atomic_masses, atomic_numbers

from .arrhenius import MIN_TEMPERATURES, ArrheniusFit, TooFewTemperaturesError, ensemble_average, fit_arrhenius
from .conductivity import haven_ratio, nernst_einstein_conductivity
from .diffusion import A2_PER_PS_IN_CM2_PER_S, NotDiffusiveError, assess_matrix_flow, fit_diffusivity
from .msd import collective_msd, tracer_msd

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
MAX_TEMPERATURE_DEVIATION = 0.25


def analyse_trajectory(positions_A, symbols, cells_A, times_ps, temperature_K, *, mobile_species='Li', charge=1.0,
                       fit_start_ps=None, fit_end_ps=None):
    """Tracer and collective diffusion, Nernst-Einstein conductivity and matrix flow of one MD trajectory.

    Drift: the centre of mass of the framework (every atom not of ``mobile_species``, mass-weighted) is held
    fixed. The collective fit uses the window of the tracer fit.

    :param positions_A: unwrapped positions, shape (n_frames, n_atoms, 3), Angstrom.
    :param symbols: chemical symbols, length n_atoms.
    :param cells_A: cell vectors as rows, shape (n_frames, 3, 3) or (3, 3), Angstrom; the volume is their mean.
    :param times_ps: frame times, shape (n_frames,), ps, equally spaced.
    :param temperature_K: MD temperature, K.
    :param mobile_species: chemical symbol of the carriers.
    :param charge: carrier charge, elementary charges.
    :param fit_start_ps: start of the MSD fit window (lag time), ps; None chooses it from the growth of the MSD.
    :param fit_end_ps: end of the MSD fit window, ps; None uses half the trajectory.
    :return: dict with ``n_carriers``, ``volume_A3``, ``n_frames``, ``frame_interval_ps``,
        ``mobile_msd_half_run_A2`` (carrier-averaged MSD at a lag of half the run, Angstrom^2: comparable between
        runs even when none is diffusive), ``is_diffusive``,
        ``not_diffusive_reason`` (str or None), ``tracer`` and ``collective`` (each None when not diffusive, else
        diffusivity_A2_per_ps, diffusivity_err_A2_per_ps, conductivity_S_per_cm, conductivity_err_S_per_cm,
        dispersion_ratio (None for a single series), fit_start_ps, fit_end_ps) and ``matrix_flow``
        (is_flowing, reason, final_msd_A2 per framework species; None without framework species).
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
    summary = {
        'n_carriers': int(mobile.size),
        'volume_A3': volume_A3,
        'n_frames': int(positions_A.shape[0]),
        'frame_interval_ps': frame_interval_ps,
        'mobile_msd_half_run_A2': float(mobile_msd[(positions_A.shape[0] - 1) // 2].mean()),
        'matrix_flow': _matrix_flow(positions_A, symbols, framework, masses, frame_interval_ps),
    }
    conductivity_args = {'n_carriers': int(mobile.size), 'volume_A3': volume_A3, 'temperature_K': temperature_K,
                         'charge': charge}
    try:
        tracer = fit_diffusivity(mobile_msd, frame_interval_ps, fit_start_ps=fit_start_ps, fit_end_ps=fit_end_ps)
    except NotDiffusiveError as exception:
        return {**summary, 'is_diffusive': False, 'not_diffusive_reason': str(exception), 'tracer': None,
                'collective': None}
    collective = fit_diffusivity(collective_msd(positions_A, mobile, framework, masses).sum(axis=-1)[:, None],
                                 frame_interval_ps, fit_start_ps=tracer.fit_start_ps, fit_end_ps=tracer.fit_end_ps)
    return {
        **summary,
        'is_diffusive': True,
        'not_diffusive_reason': None,
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
        and optionally ``production_temperatures_K`` (n_samples,), K, the kinetic temperature during the run.
    :param temperature_K: MD temperature, K.
    :param mobile_species: chemical symbol of the carriers.
    :param charge: carrier charge, elementary charges.
    :param fit_start_ps: MSD fit window start for every structure, ps; None: automatic per structure.
    :param fit_end_ps: MSD fit window end for every structure, ps; None: half of each trajectory.
    :param max_temperature_deviation: largest accepted relative deviation of a run's mean temperature from
        ``temperature_K``.
    :return: dict with ``temperature_K``, ``mobile_species``, ``charge``, ``n_structures``, ``structures_used``,
        ``not_diffusive`` (label -> reason), ``is_diffusive`` (any structure diffusive), the ensemble values
        ``diffusivity_A2_per_ps``, ``diffusivity_cm2_per_s``, ``conductivity_S_per_cm`` and their ``*_err_*``
        (tracer, Haven-free), ``collective_diffusivity_A2_per_ps``, ``collective_conductivity_S_per_cm`` and
        errors, ``haven_ratio`` and ``haven_ratio_err`` (None unless D_sigma is significant), ``matrix_flowing``
        (any structure), ``matrix_flow_reason``, ``production_temperature_K`` (mean NVE temperature over the
        structures, K, or None), ``temperature_off`` (a run's mean temperature deviates too much;
        False without temperatures) with ``temperature_off_reason``, and ``per_structure`` (label -> the
        :func:`analyse_trajectory` dict plus ``production_temperature_K``, the run's mean or None).
        Ensemble values are None when no structure was diffusive.
    """
    if not trajectories:
        raise ValueError(f'no trajectories at {temperature_K} K: nothing to analyse')
    per_structure = {
        label: analyse_trajectory(data['positions_A'], data['symbols'], data['cells_A'], data['times_ps'],
                                  temperature_K, mobile_species=mobile_species, charge=charge,
                                  fit_start_ps=fit_start_ps, fit_end_ps=fit_end_ps)
        for label, data in trajectories.items()
    }
    for label, data in trajectories.items():
        run_temperatures = data.get('production_temperatures_K')
        per_structure[label]['production_temperature_K'] = (
            None if run_temperatures is None else float(np.mean(run_temperatures)))
    off = {label: result['production_temperature_K'] for label, result in per_structure.items()
           if result['production_temperature_K'] is not None
           and abs(result['production_temperature_K'] - temperature_K) > max_temperature_deviation * temperature_K}
    used = [label for label, result in per_structure.items() if result['is_diffusive']]
    flows = {label: result['matrix_flow'] for label, result in per_structure.items() if result['matrix_flow']}
    summary = {
        'temperature_K': float(temperature_K),
        'mobile_species': mobile_species,
        'charge': float(charge),
        'n_structures': len(per_structure),
        'structures_used': used,
        'not_diffusive': {label: result['not_diffusive_reason'] for label, result in per_structure.items()
                          if not result['is_diffusive']},
        'is_diffusive': bool(used),
        'matrix_flowing': any(flow['is_flowing'] for flow in flows.values()),
        'matrix_flow_reason': '; '.join(f'{label}: {flow["reason"]}' for label, flow in flows.items()),
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
            if results:
                mean, err = _ensemble_mean([r[kind][name] for r in results], [r[kind][err_name] for r in results])
            else:
                mean, err = None, None
            quantities[prefix + name], quantities[prefix + err_name] = mean, err
    diffusivity, diffusivity_err = quantities['diffusivity_A2_per_ps'], quantities['diffusivity_err_A2_per_ps']
    quantities['diffusivity_cm2_per_s'] = None if diffusivity is None else diffusivity * A2_PER_PS_IN_CM2_PER_S
    quantities['diffusivity_err_cm2_per_s'] = (None if diffusivity_err is None
                                               else diffusivity_err * A2_PER_PS_IN_CM2_PER_S)
    collective = quantities['collective_diffusivity_A2_per_ps']
    collective_err = quantities['collective_diffusivity_err_A2_per_ps']
    quantities['haven_ratio'] = quantities['haven_ratio_err'] = None
    if collective is not None and collective > HAVEN_SIGNIFICANCE * collective_err:
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


def select_arrhenius_points(temperature_summaries, *, include_flowing=False):
    """Split per-temperature summaries into points for the Arrhenius fit and excluded temperatures.

    A temperature is excluded when no structure was diffusive, when its conductivity is not positive, when
    the mean NVE temperature of a run was far from the nominal one, or when the matrix flows (unless
    ``include_flowing``).

    :param temperature_summaries: iterable of :func:`summarise_temperature` dicts.
    :param include_flowing: keep temperatures where the P/S matrix flows.
    :return: (used, excluded): the used summaries sorted by temperature, and a dict temperature (str, K)
        -> reason.
    """
    used, excluded = [], {}
    for summary in sorted(temperature_summaries, key=lambda s: s['temperature_K']):
        key = f'{summary["temperature_K"]:g}'
        if not summary['is_diffusive']:
            excluded[key] = 'Li MSD not diffusive: ' + '; '.join(
                f'{label}: {reason}' for label, reason in summary['not_diffusive'].items())
        elif summary['conductivity_S_per_cm'] <= 0:
            excluded[key] = f'non-positive conductivity {summary["conductivity_S_per_cm"]:.3g} S/cm'
        elif summary.get('temperature_off'):
            excluded[key] = 'MD temperature off: ' + summary['temperature_off_reason']
        elif summary['matrix_flowing'] and not include_flowing:
            excluded[key] = 'P/S matrix flows: ' + summary['matrix_flow_reason']
        else:
            used.append(summary)
    return used, excluded


def summarise_arrhenius(temperature_summaries, *, include_flowing=False):
    """Arrhenius fit over the usable temperatures, with E_A, sigma(300 K), their errors and the exclusions.

    :param temperature_summaries: iterable of :func:`summarise_temperature` dicts.
    :param include_flowing: keep temperatures where the P/S matrix flows.
    :return: dict with ``activation_energy_eV`` and ``activation_energy_err_eV``, ``room_temperature_K``,
        ``conductivity_300K_S_per_cm`` and ``conductivity_300K_err_S_per_cm``, ``prefactor_S_K_per_cm``,
        ``fit`` (the :class:`~.arrhenius.ArrheniusFit` fields, covariance as nested lists), the fitted
        ``temperatures_K``, ``conductivities_S_per_cm`` and ``conductivity_errs_S_per_cm``, ``excluded``
        (temperature -> reason), ``flowing_included`` (temperatures kept although the matrix flows) and
        ``include_flowing``.
    :raises TooFewTemperaturesError: when fewer than three temperatures remain, naming the exclusions.
    """
    used, excluded = select_arrhenius_points(temperature_summaries, include_flowing=include_flowing)
    if len(used) < MIN_TEMPERATURES:
        raise TooFewTemperaturesError(
            f'{len(used)} usable temperatures, an Arrhenius fit needs {MIN_TEMPERATURES}; excluded: '
            + ('; '.join(f'{T} K ({reason})' for T, reason in excluded.items()) or 'none')
        )
    temperatures = [s['temperature_K'] for s in used]
    sigma = [s['conductivity_S_per_cm'] for s in used]
    sigma_err = [s['conductivity_err_S_per_cm'] for s in used]
    fit = fit_arrhenius(temperatures, sigma, sigma_err)
    sigma_room, sigma_room_err = fit.conductivity_S_per_cm(ROOM_TEMPERATURE_K)
    return {
        'activation_energy_eV': float(fit.activation_energy_eV),
        'activation_energy_err_eV': float(fit.activation_energy_err_eV),
        'room_temperature_K': ROOM_TEMPERATURE_K,
        'conductivity_300K_S_per_cm': float(sigma_room),
        'conductivity_300K_err_S_per_cm': float(sigma_room_err),
        'prefactor_S_K_per_cm': float(fit.prefactor_S_K_per_cm),
        'fit': {
            'slope_K': fit.slope_K,
            'intercept': fit.intercept,
            'parameter_covariance': fit.parameter_covariance.tolist(),
            'chi2_reduced': fit.chi2_reduced,
            'n_temperatures': fit.n_temperatures,
        },
        'temperatures_K': temperatures,
        'conductivities_S_per_cm': sigma,
        'conductivity_errs_S_per_cm': sigma_err,
        'excluded': excluded,
        'flowing_included': [f'{s["temperature_K"]:g}' for s in used if s['matrix_flowing']],
        'include_flowing': bool(include_flowing),
    }


def arrhenius_fit_from_summary(arrhenius_summary):
    """The :class:`~.arrhenius.ArrheniusFit` stored in a :func:`summarise_arrhenius` dict."""
    fit = arrhenius_summary['fit']
    return ArrheniusFit(**{**fit, 'parameter_covariance': np.asarray(fit['parameter_covariance'], dtype=float)})
