"""Domains from F(z), region-resolved RDFs and Li MSDs per domain, on synthetic data with known answers."""

from ase import Atoms
import numpy as np
import pytest

from aiida_lps.analysis.amorphisation import interface_widths
from aiida_lps.analysis.interface_domains import (
    DOMAIN_NAMES,
    InterfaceDomains,
    cell_heights,
    crystallinity_domains,
    domain_partial_rdfs,
    dynamic_domain_msd,
    interface_profile,
    static_domain_msd,
)
from aiida_lps.analysis.rdf import partial_rdfs

CRYSTAL, INTERFACE, GLASS = (DOMAIN_NAMES.index(name) for name in ('crystal', 'interface', 'glass'))


def test_linear_ramps_give_known_intervals():
    # slices of 2 A: crystal (F = 1) at 0-3, ramp down over slices 4-6, glass (0) at 7-11, ramp up over 12-14
    profile = np.array([1, 1, 1, 1, 0.75, 0.5, 0.25, 0, 0, 0, 0, 0, 0.25, 0.5, 0.75, 1.0])
    domains = crystallinity_domains(profile, 2.0, low=0.1, high=0.9)
    # F leaves 0.9 at slice index 3.4, reaches 0.1 at 6.6, leaves it at 11.4 and reaches 0.9 at 14.6;
    # heights are (index + 0.5) * 2 A
    expected_boundaries = [0.0, 7.8, 14.2, 23.8, 30.2, 32.0]
    assert np.allclose(domains.boundaries_A, expected_boundaries)
    assert domains.labels.tolist() == [CRYSTAL, INTERFACE, GLASS, INTERFACE, CRYSTAL]
    assert np.allclose(domains.interface_widths_A, [6.4, 6.4])
    assert np.allclose(np.sort(domains.interface_widths_A), np.sort(interface_widths(profile, 2.0)))
    assert domains.domain_of_height([1.0, 10.0, 20.0, 27.0, 31.0, 33.0]).tolist() == [
        CRYSTAL, INTERFACE, GLASS, INTERFACE, CRYSTAL, CRYSTAL]


def test_interface_across_the_cell_ends_is_one_width():
    profile = np.roll(np.array([1, 1, 1, 1, 0.75, 0.5, 0.25, 0, 0, 0, 0, 0, 0.25, 0.5, 0.75, 1.0]), 6)
    domains = crystallinity_domains(profile, 2.0)
    assert np.allclose(domains.interface_widths_A, [6.4, 6.4])
    assert domains.boundaries_A[-1] == pytest.approx(32.0)
    restored = InterfaceDomains.from_dict(domains.as_dict())
    assert np.array_equal(restored.labels, domains.labels) and np.allclose(restored.boundaries_A, domains.boundaries_A)


def test_flat_profile_is_all_crystal():
    domains = crystallinity_domains(np.ones(8), 1.5)
    assert domains.labels.tolist() == [CRYSTAL] and domains.height_A == pytest.approx(12.0)
    assert domains.interface_widths_A.size == 0


def test_profile_of_half_randomised_lattice_has_crystal_and_glass():
    rng = np.random.default_rng(4)
    lattice = Atoms('P', scaled_positions=[[0.25, 0.25, 0.25]], cell=[3.5] * 3, pbc=True).repeat((8, 8, 12))
    fractional = lattice.get_scaled_positions()
    upper = fractional[:, 2] >= 0.5
    fractional[upper, :2] = rng.random((upper.sum(), 2))
    lattice.set_scaled_positions(fractional)
    profile, domains = interface_profile([lattice], n_slices=12)
    heights = profile.slice_centres
    assert np.all(domains.domain_of_height(heights[:6]) == CRYSTAL)
    assert np.all(domains.domain_of_height(heights[7:11]) == GLASS)


def simple_cubic(element_pairs=('Li', 'S'), spacing=3.0, repeats=(4, 4, 8)):
    """Rock-salt-like lattice of two species; heights of the atoms are exact multiples of spacing / 2."""
    cell = Atoms(element_pairs[0] + element_pairs[1], scaled_positions=[[0, 0, 0], [0.5, 0.5, 0.5]],
                 cell=[spacing] * 3, pbc=True)
    return cell.repeat(repeats)


def test_domain_rdfs_of_a_homogeneous_crystal_equal_the_whole_cell_rdf():
    atoms = simple_cubic()
    domains = InterfaceDomains(np.array([0.0, 8.0, 16.0, 24.0]), np.array([CRYSTAL, INTERFACE, GLASS]))
    regional = domain_partial_rdfs([atoms], domains, r_max=5.0, n_bins=25)
    whole = partial_rdfs(atoms, r_max=5.0, n_bins=25)
    assert set(regional) == set(DOMAIN_NAMES)
    for name in DOMAIN_NAMES:  # every atom has the same surroundings, so each domain sees the bulk g(r)
        for pair in whole.g:
            assert np.allclose(regional[name].g[pair], whole.g[pair])


def test_domain_rdf_separates_an_ordered_from_a_random_half():
    rng = np.random.default_rng(0)
    atoms = simple_cubic(repeats=(4, 4, 8))
    upper = atoms.positions[:, 2] >= 12.0 - 1e-9
    atoms.positions[upper] = rng.random((upper.sum(), 3)) * [12.0, 12.0, 12.0] + [0, 0, 12.0]
    # crystal and glass domains kept more than r_max from the ordered/random boundaries at 0 and 12 A
    domains = InterfaceDomains(np.array([0.0, 3.0, 9.0, 15.0, 21.0, 24.0]),
                               np.array([INTERFACE, CRYSTAL, INTERFACE, GLASS, INTERFACE]))
    regional = domain_partial_rdfs([atoms], domains, r_max=2.8, n_bins=14)
    assert set(regional) == set(DOMAIN_NAMES)
    # in the ordered half no Li-S pair is closer than the lattice's 2.6 A (half the cube diagonal of 3 A)
    close = regional['crystal'].r < 2.5
    assert np.all(regional['crystal'].g[('Li', 'S')][close] == 0.0)
    assert regional['glass'].g[('Li', 'S')][close].sum() > 0.0


def brute_force_dynamic_msd(positions, domain_now, domain):
    """Direct double loop over lags and origins."""
    n_frames = positions.shape[0]
    msd, samples = np.full((n_frames, 3), np.nan), np.zeros(n_frames, dtype=int)
    for lag in range(n_frames):
        displacement = positions[lag:] - positions[: n_frames - lag]
        weight = domain_now[: n_frames - lag] == domain
        samples[lag] = weight.sum()
        if samples[lag]:
            msd[lag] = (displacement**2 * weight[:, :, None]).sum(axis=(0, 1)) / samples[lag]
    return msd, samples


def test_dynamic_msd_matches_the_direct_double_loop():
    rng = np.random.default_rng(5)
    cell = np.diag([10.0, 10.0, 30.0])
    steps = rng.normal(scale=[0.3, 0.3, 1.5], size=(60, 7, 3))
    positions = np.cumsum(steps, axis=0) + rng.random((1, 7, 3)) * [10, 10, 30]
    domains = InterfaceDomains(np.array([0.0, 10.0, 14.0, 26.0, 30.0]), np.array([CRYSTAL, INTERFACE, GLASS,
                                                                                 INTERFACE]))
    result = dynamic_domain_msd(positions, cell, domains, np.arange(7), reference_indices=[])
    domain_now = domains.domain_of_height(cell_heights(positions, cell))
    for domain in range(3):
        expected, samples = brute_force_dynamic_msd(positions, domain_now, domain)
        assert np.array_equal(result.samples[domain], samples)
        assert np.allclose(result.msd[domain], expected, equal_nan=True)


def test_confined_random_walkers_recover_their_diffusion_coefficients():
    """Walkers in the crystal with D = 0.01, in the glass with D = 0.05 A^2/step, moving in x and y only."""
    rng = np.random.default_rng(2)
    n_frames, n_each = 400, 40
    cell = np.diag([20.0, 20.0, 40.0])
    heights = np.concatenate([rng.uniform(2, 18, n_each), rng.uniform(22, 38, n_each)])
    diffusion = np.repeat([0.01, 0.05], n_each)
    steps = rng.normal(size=(n_frames, 2 * n_each, 3)) * np.sqrt(2 * diffusion)[None, :, None]
    steps[:, :, 2] = 0.0
    positions = np.cumsum(steps, axis=0)
    positions[:, :, 2] = heights
    domains = InterfaceDomains(np.array([0.0, 20.0, 40.0]), np.array([CRYSTAL, GLASS]))
    for method in (static_domain_msd, dynamic_domain_msd):
        result = method(positions, cell, domains, np.arange(2 * n_each), reference_indices=[])
        lag = 40
        for domain, coefficient in ((CRYSTAL, 0.01), (GLASS, 0.05)):
            msd_xy = result.msd[domain, lag, :2].sum()
            assert msd_xy == pytest.approx(4 * coefficient * lag, rel=0.15)
            assert result.samples[domain, lag] == n_each * (n_frames - lag)
        assert np.all(np.isnan(result.msd[INTERFACE])) and np.all(result.samples[INTERFACE] == 0)
    static = static_domain_msd(positions, cell, domains, np.arange(2 * n_each), reference_indices=[])
    dynamic = dynamic_domain_msd(positions, cell, domains, np.arange(2 * n_each), reference_indices=[])
    assert np.allclose(static.msd[[CRYSTAL, GLASS]], dynamic.msd[[CRYSTAL, GLASS]])  # nobody changes domain


def test_static_and_dynamic_differ_for_a_crossing_atom():
    """One atom moves at 0.1 A per frame along x while crossing from the crystal into the glass half-way."""
    n_frames = 20
    positions = np.zeros((n_frames, 1, 3))
    positions[:, 0, 0] = 0.1 * np.arange(n_frames)
    positions[:, 0, 2] = np.where(np.arange(n_frames) < 10, 5.0, 15.0)
    cell = np.diag([10.0, 10.0, 20.0])
    domains = InterfaceDomains(np.array([0.0, 10.0, 20.0]), np.array([CRYSTAL, GLASS]))
    dynamic = dynamic_domain_msd(positions, cell, domains, [0], reference_indices=[])
    # from any origin the x displacement at lag m is 0.1 m; origins in the crystal are frames 0-9
    lags = np.arange(10)
    assert np.allclose(dynamic.msd[CRYSTAL, :10, 0], (0.1 * lags) ** 2)
    assert dynamic.samples[CRYSTAL, :10].tolist() == [10] * 10
    assert dynamic.samples[GLASS, :3].tolist() == [10, 9, 8]
    # the z jump of 10 A at frame 10 appears only for origins before it
    assert dynamic.msd[GLASS, 1, 2] == pytest.approx(0.0, abs=1e-10)
    assert dynamic.msd[CRYSTAL, 1, 2] == pytest.approx(100.0 / 10)
    static = static_domain_msd(positions, cell, domains, [0], reference_indices=[])
    # its mean height, 10 A, is the glass's lower boundary: all 20 origins count for the glass, jump included
    assert static.samples[:, 0].tolist() == [0, 0, 20]
    assert static.msd[GLASS, 1, 2] == pytest.approx(100.0 / 19)


def test_domains_of_another_cell_are_refused():
    domains = InterfaceDomains(np.array([0.0, 10.0, 20.0]), np.array([CRYSTAL, GLASS]))
    with pytest.raises(ValueError, match='compute the domains from this trajectory'):
        static_domain_msd(np.zeros((3, 2, 3)), np.diag([5.0, 5.0, 25.0]), domains, [0])
