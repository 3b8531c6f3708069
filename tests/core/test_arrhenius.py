"""Known-answer tests for aiida_lps.analysis.arrhenius: synthetic Arrhenius data, refusal, ensembles."""
from ase.units import kB
import numpy as np
import pytest

from aiida_lps.analysis.arrhenius import TooFewTemperaturesError, ensemble_average, fit_arrhenius

TEMPERATURES_K = np.array([400.0, 450.0, 500.0, 550.0, 600.0, 650.0, 700.0])
TRUE_EA_EV = 0.29
TRUE_LN_PREFACTOR = np.log(2.0e3)  # ln(A / (S K/cm))


def true_conductivity(temperature_K):
    """sigma = A/T exp(-E_A / k_B T), S/cm."""
    return np.exp(TRUE_LN_PREFACTOR - TRUE_EA_EV / (kB * temperature_K)) / temperature_K


def test_exact_data_give_exact_parameters():
    sigma = true_conductivity(TEMPERATURES_K)
    fit = fit_arrhenius(TEMPERATURES_K, sigma, 0.1 * sigma)
    assert fit.activation_energy_eV == pytest.approx(TRUE_EA_EV, rel=1e-10)
    assert fit.prefactor_S_K_per_cm == pytest.approx(2.0e3, rel=1e-8)
    assert fit.conductivity_S_per_cm(300.0) == pytest.approx(true_conductivity(300.0), rel=1e-8)
    assert fit.chi2_reduced == pytest.approx(0.0, abs=1e-18)


def test_covariance_agrees_with_numpy_polyfit():
    rng = np.random.default_rng(0)
    relative_err = rng.uniform(0.05, 0.3, TEMPERATURES_K.size)
    sigma = true_conductivity(TEMPERATURES_K) * np.exp(rng.normal(scale=0.01, size=TEMPERATURES_K.size))
    fit = fit_arrhenius(TEMPERATURES_K, sigma, relative_err * sigma)
    assert fit.chi2_reduced < 1  # no Birge scaling, so the absolute covariance is compared
    coefficients, covariance = np.polyfit(1 / TEMPERATURES_K, np.log(sigma * TEMPERATURES_K), 1,
                                          w=1 / relative_err, cov='unscaled')
    np.testing.assert_allclose([fit.slope_K, fit.intercept], coefficients, rtol=1e-10)
    np.testing.assert_allclose(fit.parameter_covariance, covariance, rtol=1e-8)
    inverse_T = 1 / 300.0
    gradient = np.array([inverse_T, 1.0])
    expected_relative_err = np.sqrt(gradient @ covariance @ gradient)
    assert fit.ln_conductivity_err(300.0) == pytest.approx(expected_relative_err, rel=1e-8)


def test_noisy_synthetic_data_recover_ea_and_room_temperature_conductivity_within_error():
    relative_err = 0.2
    ea_hits, sigma_hits = 0, 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        sigma = true_conductivity(TEMPERATURES_K) * np.exp(rng.normal(scale=relative_err, size=TEMPERATURES_K.size))
        fit = fit_arrhenius(TEMPERATURES_K, sigma, relative_err * sigma)
        ea_hits += abs(fit.activation_energy_eV - TRUE_EA_EV) <= 2 * fit.activation_energy_err_eV
        sigma_hits += (abs(np.log(fit.conductivity_S_per_cm(300.0) / true_conductivity(300.0)))
                       <= 2 * fit.ln_conductivity_err(300.0))
    assert ea_hits / 200 >= 0.9
    assert sigma_hits / 200 >= 0.9


def test_scatter_beyond_the_stated_errors_inflates_the_fit_errors():
    rng = np.random.default_rng(3)
    sigma = true_conductivity(TEMPERATURES_K) * np.exp(rng.normal(scale=0.3, size=TEMPERATURES_K.size))
    honest = fit_arrhenius(TEMPERATURES_K, sigma, 0.3 * sigma)
    overconfident = fit_arrhenius(TEMPERATURES_K, sigma, 0.03 * sigma)
    assert overconfident.chi2_reduced > 10
    assert honest.chi2_reduced > 1  # both scaled by their chi^2: the errors then no longer depend on the stated ones
    assert overconfident.activation_energy_err_eV == pytest.approx(honest.activation_energy_err_eV, rel=1e-6)


def test_intervals_use_student_t_with_n_minus_2_degrees_of_freedom():
    rng = np.random.default_rng(5)
    temperatures_K = np.array([500.0, 600.0, 700.0])
    sigma = true_conductivity(temperatures_K) * np.exp(rng.normal(scale=0.2, size=3))
    fit = fit_arrhenius(temperatures_K, sigma, 0.2 * sigma)
    assert fit.degrees_of_freedom == 1
    assert fit.t_quantile(0.95) == pytest.approx(12.706, rel=1e-4)  # not the normal 1.96
    low, high = fit.activation_energy_interval_eV(0.95)
    assert (high - low) / 2 == pytest.approx(12.706 * fit.activation_energy_err_eV, rel=1e-4)
    seven = fit_arrhenius(TEMPERATURES_K, true_conductivity(TEMPERATURES_K), 0.1 * true_conductivity(TEMPERATURES_K))
    assert seven.t_quantile(0.95) == pytest.approx(2.571, rel=1e-3)  # 5 degrees of freedom


def test_room_temperature_interval_is_log_normal_and_matches_monte_carlo_over_the_covariance():
    rng = np.random.default_rng(8)
    temperatures_K = np.array([600.0, 700.0, 800.0, 900.0])
    sigma = true_conductivity(temperatures_K) * np.exp(rng.normal(scale=0.3, size=temperatures_K.size))
    fit = fit_arrhenius(temperatures_K, sigma, 0.3 * sigma)
    point = fit.conductivity_S_per_cm(300.0)
    low, high = fit.conductivity_interval_S_per_cm(300.0, 0.95)
    assert low < point < high
    assert np.sqrt(low * high) == pytest.approx(point, rel=1e-10)  # symmetric in ln sigma
    assert high - point > point - low  # asymmetric in sigma, and never below zero
    # brute force: parameters drawn from the multivariate t of the fit (n - 2 dof), sigma(300 K) of each draw
    n_draws = 400_000
    normal = rng.multivariate_normal([fit.slope_K, fit.intercept], fit.parameter_covariance, size=n_draws)
    scale = np.sqrt(rng.chisquare(fit.degrees_of_freedom, size=n_draws) / fit.degrees_of_freedom)
    parameters = np.array([fit.slope_K, fit.intercept]) + (normal - [fit.slope_K, fit.intercept]) / scale[:, None]
    ln_sampled = parameters[:, 1] + parameters[:, 0] / 300.0 - np.log(300.0)  # ln sigma(300 K) of each draw
    np.testing.assert_allclose(np.exp(np.quantile(ln_sampled, [0.025, 0.975])), [low, high], rtol=0.05)
    assert np.exp(np.median(ln_sampled)) == pytest.approx(point, rel=0.02)


@pytest.mark.parametrize('temperatures_K', [[500.0, 600.0], [500.0, 500.0, 600.0]])
def test_fewer_than_three_temperatures_are_refused(temperatures_K):
    sigma = true_conductivity(np.array(temperatures_K))
    with pytest.raises(TooFewTemperaturesError, match='at least 3 distinct temperatures'):
        fit_arrhenius(temperatures_K, sigma, 0.1 * sigma)


def test_nonpositive_conductivity_is_refused():
    with pytest.raises(ValueError, match='must all be positive'):
        fit_arrhenius([400.0, 500.0, 600.0], [1e-3, 0.0, 1e-2], [1e-4, 1e-4, 1e-3])


def test_ensemble_average_gives_mean_and_standard_error():
    values = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    mean, standard_error = ensemble_average(values)
    np.testing.assert_allclose(mean, [2.5, 25.0])
    np.testing.assert_allclose(standard_error, np.sqrt([5 / 3, 500 / 3]) / 2)
    with pytest.raises(ValueError, match='at least 2 structures'):
        ensemble_average([1.0])


def test_arrhenius_plot_shows_data_fit_and_extrapolation(tmp_path):
    from aiida_lps.plotting.conductivity import plot_arrhenius

    sigma = true_conductivity(TEMPERATURES_K)
    fit = fit_arrhenius(TEMPERATURES_K, sigma, 0.1 * sigma)
    path = tmp_path / 'arrhenius.png'
    figure = plot_arrhenius(TEMPERATURES_K, sigma, 0.1 * sigma, fit, path=path)
    assert path.stat().st_size > 0
    line = next(line for line in figure.axes[0].lines if line.get_linestyle() == '--')
    assert line.get_xdata().max() == pytest.approx(1000 / 300.0)


def test_arrhenius_plot_of_an_unbounded_extrapolation_keeps_its_axis_on_the_data(tmp_path):
    """Three points with errors of 10000 %: the interval at 300 K overflows, the axis stays two decades around data."""
    from aiida_lps.plotting.conductivity import plot_arrhenius

    temperatures_K = TEMPERATURES_K[[0, 3, 6]]
    sigma = true_conductivity(temperatures_K) * np.array([1.0, 30.0, 0.05])
    fit = fit_arrhenius(temperatures_K, sigma, 100.0 * sigma)
    assert fit.conductivity_interval_S_per_cm(300.0)[1] == np.inf
    figure = plot_arrhenius(temperatures_K, sigma, 100.0 * sigma, fit, path=tmp_path / 'arrhenius.png')
    y_min, y_max = figure.axes[0].get_ylim()
    sigma_T = sigma * temperatures_K
    assert y_min < sigma_T.min() and y_max > sigma_T.max() and np.log10(y_max / y_min) < 10
    assert any('inf]' in label for label in figure.axes[0].get_legend_handles_labels()[1])
