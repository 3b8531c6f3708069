"""Known answers for aiida_lps.sampling.md_segments (DFT MD in segments) and aiida_lps.analysis.md_validation."""
import numpy as np
import pytest
from ase.units import _amu, _k
from random_walks import known_comparison

from aiida_lps.sampling.md_segments import (
    kept_frames,
    maxwell_boltzmann_velocities,
    verlet_restart_state,
)


def test_maxwell_boltzmann_velocities_hold_exactly_t_with_zero_momentum():
    masses = np.array([6.94] * 12 + [30.97] * 4 + [32.06] * 16)
    velocities = maxwell_boltzmann_velocities(masses, 800.0, np.random.default_rng(5))  # Angstrom/ps
    np.testing.assert_allclose((masses[:, None] * velocities).sum(axis=0), 0.0, atol=1e-9)
    kinetic_J = 0.5 * np.sum(masses[:, None] * velocities**2) * _amu * 1e4
    assert 2 * kinetic_J / ((3 * masses.size - 3) * _k) == pytest.approx(800.0, rel=1e-12)
    # the seed decides the draw; lighter atoms move faster (equipartition)
    np.testing.assert_array_equal(velocities, maxwell_boltzmann_velocities(masses, 800.0, np.random.default_rng(5)))
    assert np.mean(velocities[:12]**2) > 2 * np.mean(velocities[16:]**2)


def test_restart_state_is_the_exact_verlet_velocity_of_the_second_to_last_frame():
    """Constant acceleration a: Verlet is exact, r(t) = r0 + v0 t + a t^2 / 2, v(t) = v0 + a t."""
    dt_ps, v0, a = 1e-3, np.array([[3.0, -1.0, 0.5]]), np.array([[200.0, 0.0, -50.0]])
    times = np.arange(7) * dt_ps
    positions = v0[None] * times[:, None, None] + 0.5 * a[None] * times[:, None, None]**2
    index, velocities = verlet_restart_state(positions, 1.0)
    assert index == 5
    np.testing.assert_allclose(velocities, v0 + a * times[5], rtol=1e-10)
    assert kept_frames(7, continued=True) == 5 and kept_frames(7, continued=False) == 7
    with pytest.raises(ValueError, match='a segment of 2 frames cannot be continued'):
        verlet_restart_state(positions[:2], 1.0)


def test_validation_ratio_recovers_the_ratio_of_two_known_diffusivities():
    result = known_comparison()
    for name, true_d in (('mlip', 0.6), ('dft', 0.3)):
        assert abs(result[name]['diffusivity_A2_per_ps'] - true_d) < 3 * result[name]['diffusivity_err_A2_per_ps']
        assert result[name]['temperature_K'] == 900.0
    assert abs(result['ratio'] - 2.0) < 3 * result['ratio_err']
    relative = np.hypot(*(result[n]['diffusivity_err_A2_per_ps'] / result[n]['diffusivity_A2_per_ps']
                          for n in ('mlip', 'dft')))
    assert result['ratio_err'] == pytest.approx(result['ratio'] * relative, rel=1e-12)
    # the curves share the shorter run's lags; at 30 ps the walk of D = 0.6 is about twice as far as D = 0.3
    assert len(result['lag_ps']) == len(result['msd_A2']['mlip']) == len(result['msd_A2']['dft']) == 300
    assert result['msd_A2']['mlip'][-1] / result['msd_A2']['dft'][-1] == pytest.approx(2.0, rel=0.5)
