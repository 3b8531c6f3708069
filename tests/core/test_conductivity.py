"""Known-answer tests for aiida_lps.analysis.conductivity (Nernst-Einstein, Haven ratio)."""
import numpy as np
import pytest

from aiida_lps.analysis.conductivity import haven_ratio, nernst_einstein_conductivity, nernst_einstein_factor


def test_nernst_einstein_by_hand():
    # one Li+ (q = 1) in 1000 A^3 at 300 K with D = 1 A^2/ps = 1e-8 m^2/s:
    # sigma = e^2 D / (V k_B T) = (1.602176634e-19)^2 * 1e-8 / (1e-27 * 1.380649e-23 * 300) S/m = 61.97 S/m
    by_hand_S_per_cm = (1.602176634e-19**2 * 1e-8 / (1e-27 * 1.380649e-23 * 300.0)) / 100.0
    assert by_hand_S_per_cm == pytest.approx(0.61974, rel=1e-4)
    sigma, sigma_err = nernst_einstein_conductivity(1.0, 0.1, n_carriers=1, volume_A3=1000.0, temperature_K=300.0)
    assert sigma == pytest.approx(by_hand_S_per_cm, rel=1e-12)
    assert sigma_err == pytest.approx(0.1 * by_hand_S_per_cm, rel=1e-12)


def test_thesis_eq_18_with_its_eq_20_gives_a_third_of_nernst_einstein():
    # thesis eq. 18: sigma = N q^2 D / (3 V k_B T); eq. 20: D = MSD / (6 t), our D: a third of our sigma.
    # Only with D' = MSD / (2 t) = 3 D (sum of the per-direction coefficients) does eq. 18 give our sigma.
    n_carriers, volume_A3, temperature_K, msd_slope_A2_per_ps = 96, 4876.0, 600.0, 0.42
    tracer_d = msd_slope_A2_per_ps / 6.0
    sigma, _ = nernst_einstein_conductivity(tracer_d, 0.0, n_carriers=n_carriers, volume_A3=volume_A3,
                                            temperature_K=temperature_K)
    factor = nernst_einstein_factor(n_carriers, volume_A3, temperature_K)
    assert factor * tracer_d / 3.0 == pytest.approx(sigma / 3.0, rel=1e-12)
    assert factor * (msd_slope_A2_per_ps / 2.0) / 3.0 == pytest.approx(sigma, rel=1e-12)


def test_factor_scales_with_carriers_charge_volume_and_temperature():
    base = nernst_einstein_factor(10, 1000.0, 500.0)
    assert nernst_einstein_factor(20, 1000.0, 500.0) == pytest.approx(2 * base)
    assert nernst_einstein_factor(10, 1000.0, 500.0, charge=2.0) == pytest.approx(4 * base)
    assert nernst_einstein_factor(10, 2000.0, 1000.0) == pytest.approx(base / 4)


def test_nonphysical_volume_or_temperature_is_refused():
    with pytest.raises(ValueError, match='must be positive'):
        nernst_einstein_factor(10, 0.0, 500.0)
    with pytest.raises(ValueError, match='must be positive'):
        nernst_einstein_factor(10, 100.0, -1.0)


def test_haven_ratio_and_its_error():
    ratio, ratio_err = haven_ratio(0.3, 0.03, 0.6, 0.08)
    assert ratio == pytest.approx(0.5)
    assert ratio_err == pytest.approx(0.5 * np.hypot(0.1, 0.08 / 0.6))
    with pytest.raises(ValueError, match='not positive'):
        haven_ratio(0.3, 0.03, -0.1, 0.2)
