"""Known-answer tests for aiida_lps.analysis.conductivity_summary on synthetic random walks and Arrhenius data."""
from ase.units import kB
import numpy as np
import pytest

from aiida_lps.analysis.arrhenius import TooFewTemperaturesError, fit_arrhenius
from aiida_lps.analysis.conductivity import nernst_einstein_conductivity
from aiida_lps.analysis.conductivity_summary import (
    analyse_trajectory,
    arrhenius_fit_from_summary,
    interval_text,
    select_arrhenius_points,
    summarise_arrhenius,
    summarise_temperature,
)

FRAME_INTERVAL_PS = 0.1
N_FRAMES = 400
CELL_A = np.diag([10.0, 10.0, 12.0])
SYMBOLS = ['Li'] * 16 + ['P'] * 2 + ['S'] * 8


def walk(seed, li_diffusivity_A2_per_ps=0.5, framework_diffusivity_A2_per_ps=0.0, li_bounded=False):
    """Unwrapped positions (N_FRAMES, 26, 3): Li random walk with the given D; P/S vibrate or also walk."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 10, size=(len(SYMBOLS), 3))
    step_std = np.where(np.array(SYMBOLS) == 'Li', np.sqrt(2 * li_diffusivity_A2_per_ps * FRAME_INTERVAL_PS),
                        np.sqrt(2 * framework_diffusivity_A2_per_ps * FRAME_INTERVAL_PS))
    displacement = np.cumsum(rng.normal(size=(N_FRAMES, len(SYMBOLS), 3)) * step_std[None, :, None], axis=0)
    vibration = 0.1 * rng.normal(size=(N_FRAMES, len(SYMBOLS), 3))
    if li_bounded:
        displacement[:, :16] = 0.5 * rng.normal(size=(N_FRAMES, 16, 3))
    return start + displacement + vibration


def trajectory(seed, **kwargs):
    return {'positions_A': walk(seed, **kwargs), 'symbols': SYMBOLS, 'cells_A': np.repeat(CELL_A[None], N_FRAMES, 0),
            'times_ps': 5.0 + FRAME_INTERVAL_PS * np.arange(N_FRAMES)}


def test_random_walk_gives_its_diffusivity_and_nernst_einstein_conductivity():
    data = trajectory(seed=1)
    result = analyse_trajectory(data['positions_A'], SYMBOLS, data['cells_A'], data['times_ps'], 600.0)
    tracer = result['tracer']
    assert result['is_diffusive'] and result['frame_interval_ps'] == pytest.approx(FRAME_INTERVAL_PS)
    half_run_ps = (N_FRAMES - 1) // 2 * FRAME_INTERVAL_PS
    assert result['mobile_msd_half_run_A2'] == pytest.approx(6 * 0.5 * half_run_ps, rel=0.4)
    assert abs(tracer['diffusivity_A2_per_ps'] - 0.5) < 3 * tracer['diffusivity_err_A2_per_ps']
    sigma, sigma_err = nernst_einstein_conductivity(
        tracer['diffusivity_A2_per_ps'], tracer['diffusivity_err_A2_per_ps'], n_carriers=16, volume_A3=1200.0,
        temperature_K=600.0)
    assert tracer['conductivity_S_per_cm'] == pytest.approx(sigma) and tracer['conductivity_err_S_per_cm'] == sigma_err
    # independent walkers: D_sigma estimates the same D, with a larger error (one series instead of 16)
    collective = result['collective']
    assert abs(collective['diffusivity_A2_per_ps'] - 0.5) < 3 * collective['diffusivity_err_A2_per_ps']
    assert collective['diffusivity_err_A2_per_ps'] > tracer['diffusivity_err_A2_per_ps']
    assert collective['fit_start_ps'] == tracer['fit_start_ps']
    assert not result['matrix_flow']['is_flowing']


def test_a_flowing_matrix_is_flagged():
    data = trajectory(seed=2, framework_diffusivity_A2_per_ps=0.2)
    result = analyse_trajectory(data['positions_A'], SYMBOLS, data['cells_A'], data['times_ps'], 900.0)
    assert result['matrix_flow']['is_flowing']
    assert 'P: flows' in result['matrix_flow']['reason'] and 'S: flows' in result['matrix_flow']['reason']


def test_caged_lithium_is_not_diffusive():
    data = trajectory(seed=3, li_bounded=True)
    result = analyse_trajectory(data['positions_A'], SYMBOLS, data['cells_A'], data['times_ps'], 400.0)
    assert not result['is_diffusive'] and 'never grows linearly' in result['not_diffusive_reason']
    # the best-window estimate is still given, flagged: D of a cage is zero within its error
    tracer = result['tracer']
    assert abs(tracer['diffusivity_A2_per_ps']) < 3 * tracer['diffusivity_err_A2_per_ps']
    assert 0 < tracer['fit_start_ps'] < tracer['fit_end_ps']
    # caged Li still has a comparable MSD: 2 x 3 components x (0.5^2 cage + 0.1^2 vibration) A^2
    assert result['mobile_msd_half_run_A2'] == pytest.approx(6 * (0.25 + 0.01), rel=0.15)


def test_uneven_frames_and_missing_carriers_are_refused():
    data = trajectory(seed=1)
    times = data['times_ps'].copy()
    times[5] += 0.05
    with pytest.raises(ValueError, match='equal steps'):
        analyse_trajectory(data['positions_A'], SYMBOLS, data['cells_A'], times, 600.0)
    with pytest.raises(ValueError, match='no Na atoms'):
        analyse_trajectory(data['positions_A'], SYMBOLS, data['cells_A'], data['times_ps'], 600.0,
                           mobile_species='Na')


def test_ensemble_mean_and_error_over_structures():
    ensemble = {'glass_a': trajectory(seed=4), 'glass_b': trajectory(seed=5),
                'caged': trajectory(seed=6, li_bounded=True)}
    summary = summarise_temperature(ensemble, 600.0)
    assert summary['structures_used'] == ['glass_a', 'glass_b'] and list(summary['not_diffusive']) == ['caged']
    per_structure = [summary['per_structure'][label]['tracer'] for label in ('glass_a', 'glass_b')]
    sigmas = np.array([p['conductivity_S_per_cm'] for p in per_structure])
    errors = np.array([p['conductivity_err_S_per_cm'] for p in per_structure])
    assert summary['conductivity_S_per_cm'] == pytest.approx(sigmas.mean())
    # never smaller than either the scatter between structures or the propagated per-structure errors
    scatter = sigmas.std(ddof=1) / np.sqrt(2)
    propagated = np.sqrt(np.sum(errors**2)) / 2
    assert summary['conductivity_err_S_per_cm'] == pytest.approx(max(scatter, propagated))
    assert summary['diffusivity_cm2_per_s'] == pytest.approx(1e-4 * summary['diffusivity_A2_per_ps'])
    # uncorrelated walkers: the Haven ratio is 1 within its error
    assert abs(summary['haven_ratio'] - 1.0) < 3 * summary['haven_ratio_err']


def test_runs_far_from_their_temperature_are_flagged_and_excluded():
    steady, heated = trajectory(seed=7), trajectory(seed=8)
    rng = np.random.default_rng(0)
    steady['production_temperatures_K'] = 600.0 + 30.0 * rng.normal(size=200)
    heated['production_temperatures_K'] = 900.0 + 30.0 * rng.normal(size=200)
    calm = summarise_temperature({'steady': steady}, 600.0)
    assert not calm['temperature_off']
    assert calm['production_temperature_K'] == pytest.approx(steady['production_temperatures_K'].mean())
    summary = summarise_temperature({'steady': steady, 'heated': heated}, 600.0)
    assert summary['temperature_off'] and summary['temperature_off_reason'].startswith('heated: NVE mean 89')
    assert '+50 % from 600 K (tolerance 10 %)' in summary['temperature_off_reason']
    assert not summarise_temperature({'heated': heated}, 600.0, max_temperature_deviation=0.6)['temperature_off']
    _, excluded = select_arrhenius_points([summary])
    assert excluded['600'].startswith('MD temperature off: heated: NVE mean')
    slightly_warm = trajectory(seed=7)
    slightly_warm['production_temperatures_K'] = 665.0 + 30.0 * rng.normal(size=200)  # +11 %: off since 10 %
    assert summarise_temperature({'warm': slightly_warm}, 600.0)['temperature_off']


def test_nernst_einstein_and_the_arrhenius_abscissa_use_the_measured_temperature():
    data = trajectory(seed=9)
    data['production_temperatures_K'] = np.full(100, 630.0)  # 5 % above the nominal 600 K: kept
    summary = summarise_temperature({'run': data}, 600.0)
    assert not summary['temperature_off'] and summary['measured_temperature_K'] == pytest.approx(630.0)
    run = summary['per_structure']['run']
    assert run['nernst_einstein_temperature_K'] == pytest.approx(630.0)
    sigma, _ = nernst_einstein_conductivity(run['tracer']['diffusivity_A2_per_ps'], 0.0, n_carriers=16,
                                            volume_A3=1200.0, temperature_K=630.0)
    assert run['tracer']['conductivity_S_per_cm'] == pytest.approx(sigma, rel=1e-12)
    assert summary['conductivity_S_per_cm'] == pytest.approx(sigma, rel=1e-12)
    # without thermo data the nominal temperature is all there is
    assert summarise_temperature({'run': trajectory(seed=9)}, 600.0)['measured_temperature_K'] == 600.0
    # the fit's abscissa is the measured T: a line in 1/T_measured is recovered exactly
    summaries = arrhenius_summaries()
    for entry in summaries:
        entry['measured_temperature_K'] = 1.04 * entry['temperature_K']
        entry['conductivity_S_per_cm'] = 5e3 / entry['measured_temperature_K'] * np.exp(
            -0.3 / (kB * entry['measured_temperature_K']))
        entry['conductivity_err_S_per_cm'] = 0.1 * entry['conductivity_S_per_cm']
    result = summarise_arrhenius(summaries)
    assert result['activation_energy_eV'] == pytest.approx(0.3, rel=1e-9)
    assert result['temperatures_K'] == pytest.approx([520.0, 624.0, 728.0, 832.0])
    assert result['nominal_temperatures_K'] == [500.0, 600.0, 700.0, 800.0]


def arrhenius_summaries(activation_energy_eV=0.3, flowing_at=()):
    """Per-temperature summaries on an exact Arrhenius line with 10 % errors."""
    summaries = []
    for temperature in (500.0, 600.0, 700.0, 800.0):
        sigma = 5e3 / temperature * np.exp(-activation_energy_eV / (kB * temperature))
        summaries.append({'temperature_K': temperature, 'is_diffusive': True, 'not_diffusive': {},
                          'conductivity_S_per_cm': sigma, 'conductivity_err_S_per_cm': 0.1 * sigma,
                          'matrix_flowing': temperature in flowing_at,
                          'matrix_flow_reason': 'x: P: flows' if temperature in flowing_at else ''})
    return summaries


def test_arrhenius_summary_recovers_the_line_and_equals_fit_arrhenius():
    summaries = arrhenius_summaries()
    result = summarise_arrhenius(summaries)
    assert result['activation_energy_eV'] == pytest.approx(0.3, rel=1e-9)
    assert result['conductivity_300K_S_per_cm'] == pytest.approx(5e3 / 300 * np.exp(-0.3 / (kB * 300)), rel=1e-8)
    direct = fit_arrhenius([s['temperature_K'] for s in summaries], [s['conductivity_S_per_cm'] for s in summaries],
                           [s['conductivity_err_S_per_cm'] for s in summaries])
    assert result['activation_energy_err_eV'] == pytest.approx(direct.activation_energy_err_eV)
    rebuilt = arrhenius_fit_from_summary(result)
    assert rebuilt.conductivity_S_per_cm(300.0) == pytest.approx(direct.conductivity_S_per_cm(300.0))
    assert result['excluded'] == {}
    assert result['degrees_of_freedom'] == 2 and result['confidence'] == 0.95
    assert result['conductivity_300K_interval_S_per_cm'] == pytest.approx(
        list(direct.conductivity_interval_S_per_cm(300.0, 0.95)))
    assert result['activation_energy_interval_eV'] == pytest.approx(list(direct.activation_energy_interval_eV(0.95)))
    assert result['ln_conductivity_300K_err'] == pytest.approx(direct.ln_conductivity_err(300.0))
    assert 'Student t with n - 2 = 2 degrees of freedom' in result['interval_method']


def test_flowing_and_non_diffusive_temperatures_are_excluded_with_reasons():
    summaries = arrhenius_summaries(flowing_at=(800.0,))
    summaries[0].update(is_diffusive=False, not_diffusive={'glass': 'MSD never linear'})
    used, excluded = select_arrhenius_points(summaries)
    assert [s['temperature_K'] for s in used] == [600.0, 700.0]
    assert excluded == {'500': 'Li MSD not diffusive: glass: MSD never linear', '800': 'P/S matrix flows: x: P: flows'}
    with pytest.raises(TooFewTemperaturesError, match=r'2 usable temperatures.*500 K.*800 K \(P/S matrix flows'):
        summarise_arrhenius(summaries)
    result = summarise_arrhenius(summaries, include_flowing=True)
    assert result['temperatures_K'] == [600.0, 700.0, 800.0] and result['flowing_included'] == ['800']
    kept = summarise_arrhenius(summaries, include_flowing=True, include_not_diffusive=True)
    assert kept['temperatures_K'] == [500.0, 600.0, 700.0, 800.0] and kept['not_diffusive_included'] == ['500']


def test_a_temperature_whose_crystal_changed_phase_is_excluded_unless_asked():
    summaries = arrhenius_summaries()
    summaries[-1].update(phase_changed=True, phase_reason='crystal: beta-Li3PS4 ended as alpha-Li3PS4 (...)')
    used, excluded = select_arrhenius_points(summaries)
    assert [s['temperature_K'] for s in used] == [500.0, 600.0, 700.0]
    assert excluded == {'800': 'phase changed: crystal: beta-Li3PS4 ended as alpha-Li3PS4 (...)'}
    kept = summarise_arrhenius(summaries, include_phase_changed=True)
    assert kept['phase_changed_included'] == ['800'] and kept['excluded'] == {}


def test_an_interval_beyond_the_float_range_is_stored_and_read_as_unbounded():
    """Three noisy points near 4000 K extrapolated to 300 K: exp(t s_ln) overflows; the result stays storable."""
    summaries = [
        {**summary, 'temperature_K': temperature, 'conductivity_err_S_per_cm': summary['conductivity_S_per_cm']}
        for summary, temperature in zip(arrhenius_summaries()[:3], (3975.0, 3833.0, 4254.0))
    ]
    result = summarise_arrhenius(summaries)
    low, high = result['conductivity_300K_interval_S_per_cm']
    assert high is None and 0.0 <= low < result['conductivity_300K_S_per_cm']
    assert interval_text(result['conductivity_300K_interval_S_per_cm']).endswith(' to unbounded')
    assert interval_text([1.2e-4, 3.5e-2]) == '0.00012 to 0.035'
