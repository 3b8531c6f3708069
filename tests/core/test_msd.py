"""Known-answer tests for aiida_lps.analysis.msd: FFT MSD against the direct double loop, drift, unwrapping."""
import numpy as np
import pytest

from aiida_lps.analysis.msd import collective_msd, msd_all_origins, remove_drift, tracer_msd, unwrap_positions


def direct_msd(coordinates):
    """Reference O(n^2) MSD over all time origins, shape (n_frames, ...) -> (n_frames, ...)."""
    n_frames = coordinates.shape[0]
    msd = np.zeros_like(coordinates)
    for lag in range(1, n_frames):
        for origin in range(n_frames - lag):
            msd[lag] += (coordinates[origin + lag] - coordinates[origin])**2
        msd[lag] /= n_frames - lag
    return msd


def random_walk(rng, n_frames, n_atoms, step_A=0.3):
    """Unwrapped 3-D Gaussian random walk starting at the origin, shape (n_frames, n_atoms, 3), Angstrom."""
    steps = rng.normal(scale=step_A, size=(n_frames - 1, n_atoms, 3))
    return np.concatenate([np.zeros((1, n_atoms, 3)), np.cumsum(steps, axis=0)])


def test_fft_msd_equals_direct_double_loop():
    rng = np.random.default_rng(11)
    positions = random_walk(rng, 37, 5) + rng.normal(scale=5.0, size=(1, 5, 3))
    np.testing.assert_allclose(msd_all_origins(positions), direct_msd(positions), rtol=0, atol=1e-10)


def test_fft_msd_handles_more_series_than_one_chunk(monkeypatch):
    import aiida_lps.analysis.msd as msd_module

    monkeypatch.setattr(msd_module, 'COLUMNS_PER_CHUNK', 4)
    positions = random_walk(np.random.default_rng(3), 20, 7)
    np.testing.assert_allclose(msd_all_origins(positions), direct_msd(positions), rtol=0, atol=1e-10)


def test_ballistic_motion_gives_exact_quadratic_msd():
    velocity = np.array([0.1, -0.2, 0.3])
    positions = np.arange(50)[:, None, None] * velocity[None, None, :] * np.ones((1, 2, 1))
    lags = np.arange(50)
    np.testing.assert_allclose(tracer_msd(positions, [0, 1], []).sum(axis=-1)[:, 0], lags**2 * (velocity @ velocity),
                               atol=1e-10)


def test_collective_msd_equals_direct_loop_on_summed_displacements():
    rng = np.random.default_rng(5)
    positions = random_walk(rng, 25, 6)
    mobile = [0, 2, 3, 5]
    expected = direct_msd(positions[:, mobile].sum(axis=1)) / len(mobile)
    np.testing.assert_allclose(collective_msd(positions, mobile, reference_indices=[]), expected, atol=1e-10)


def test_default_reference_removes_framework_drift():
    rng = np.random.default_rng(8)
    n_frames = 60
    mobile_walk = random_walk(rng, n_frames, 4)
    framework = np.tile(rng.uniform(0, 10, size=(1, 6, 3)), (n_frames, 1, 1))
    drift = np.arange(n_frames)[:, None, None] * np.array([0.05, 0.02, -0.03])
    positions = np.concatenate([mobile_walk, framework], axis=1) + drift
    corrected = tracer_msd(positions, [0, 1, 2, 3])
    np.testing.assert_allclose(corrected, direct_msd(mobile_walk), atol=1e-10)
    uncorrected = tracer_msd(positions, [0, 1, 2, 3], reference_indices=[])
    assert uncorrected[-1].sum() > corrected[-1].sum() + 1.0


def test_remove_drift_uses_mass_weighted_centre():
    positions = np.zeros((2, 3, 3))
    positions[1, 1] = [3.0, 0.0, 0.0]  # reference atom 1 (mass 1) moves, atom 2 (mass 2) stays
    corrected = remove_drift(positions, [1, 2], masses=np.array([7.0, 1.0, 2.0]))
    np.testing.assert_allclose(corrected[1, 0], [-1.0, 0.0, 0.0])
    np.testing.assert_allclose(corrected[1, 1], [2.0, 0.0, 0.0])


@pytest.mark.parametrize('cell_varies', [False, True])
def test_unwrap_inverts_wrapping_in_a_triclinic_cell(cell_varies):
    rng = np.random.default_rng(21)
    n_frames = 80
    cell = np.array([[8.0, 0.0, 0.0], [2.0, 7.5, 0.0], [1.0, -1.5, 9.0]])
    cells = np.tile(cell, (n_frames, 1, 1))
    if cell_varies:
        cells *= (1.0 + 0.01 * np.sin(np.arange(n_frames) / 7.0))[:, None, None]
    start = rng.uniform(0, 1, size=(1, 6, 3)) @ cell
    unwrapped = start + random_walk(rng, n_frames, 6, step_A=0.5)
    fractional = np.einsum('fai,fij->faj', unwrapped, np.linalg.inv(cells))
    wrapped = np.einsum('fai,fij->faj', fractional % 1.0, cells)
    assert np.abs(wrapped - unwrapped).max() > 5.0  # the walk did cross the boundary
    np.testing.assert_allclose(unwrap_positions(wrapped, cells), unwrapped + (wrapped[0] - unwrapped[0]), atol=1e-9)


def test_unwrap_leaves_unwrapped_input_unchanged():
    positions = random_walk(np.random.default_rng(2), 30, 3) + 5.0
    np.testing.assert_allclose(unwrap_positions(positions, np.eye(3) * 20.0), positions, atol=1e-12)


def test_empty_selection_and_bad_shape_are_refused():
    positions = np.zeros((5, 2, 3))
    with pytest.raises(ValueError, match='no mobile atoms'):
        tracer_msd(positions, [])
    with pytest.raises(ValueError, match='n_frames, n_atoms, 3'):
        tracer_msd(np.zeros((5, 3)), [0])
