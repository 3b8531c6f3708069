"""Known-answer tests of the Fourier crystallinity profile F(z) and the interfacial width."""

from pathlib import Path

from ase import Atoms
import ase.io
import numpy as np
import pytest

from aiida_lps.analysis.amorphisation import crystallinity_profile, interface_widths

BETA_LI3PS4_CIF = Path('/work/shared/reference/structures/beta-Li3PS4.cif')


def simple_cubic_phosphorus(repeats=(8, 8, 12), lattice_constant=3.5):
    """P on a simple cubic lattice, shifted by a quarter spacing so no layer sits on a slice boundary."""
    cell = Atoms('P', scaled_positions=[[0.25, 0.25, 0.25]], cell=[lattice_constant] * 3, pbc=True)
    return cell.repeat(repeats)


def randomise_upper_half(atoms: Atoms, rng: np.random.Generator, symbol: str = 'P') -> Atoms:
    """Give the atoms of ``symbol`` in the upper half of the cell (along c) random in-plane positions."""
    randomised = atoms.copy()
    fractional = randomised.get_scaled_positions()
    upper = (np.array(randomised.get_chemical_symbols()) == symbol) & (fractional[:, 2] >= 0.5)
    fractional[upper, :2] = rng.random((upper.sum(), 2))
    randomised.set_scaled_positions(fractional)
    return randomised


def test_perfect_crystal_is_uniformly_crystalline():
    profile = crystallinity_profile([simple_cubic_phosphorus()], n_slices=12)
    assert np.allclose(profile.crystallinity, 1.0)
    assert profile.slice_thickness == pytest.approx(3.5)
    assert profile.slice_centres[0] == pytest.approx(1.75)
    # the strongest peaks of a square lattice: (+-1, 0), (0, +-1) of the 8 x 8 in-plane supercell first
    assert {(8, 0), (-8, 0), (0, 8), (0, -8)} <= set(map(tuple, profile.bragg_indices.tolist()))


def test_randomised_half_loses_crystallinity():
    slab = randomise_upper_half(simple_cubic_phosphorus(), np.random.default_rng(0))
    profile = crystallinity_profile([slab], n_slices=12)
    assert np.allclose(profile.crystallinity[:6], 1.0)
    assert profile.crystallinity[6:].max() < 0.3
    widths = interface_widths(profile.crystallinity, profile.slice_thickness)
    assert widths.shape == (2,)  # one interface each way round the periodic cell
    assert np.all(widths <= profile.slice_thickness)  # a step between neighbouring slices


def test_beta_li3ps4_slab():
    if not BETA_LI3PS4_CIF.exists():
        pytest.skip('reference beta-Li3PS4 structure not available')
    slab = ase.io.read(BETA_LI3PS4_CIF).repeat((3, 4, 6))
    # one slice per unit cell along c, so every crystalline slice projects identically
    perfect = crystallinity_profile([slab], n_slices=6)
    assert np.allclose(perfect.crystallinity, 1.0)
    randomised = randomise_upper_half(slab, np.random.default_rng(1))
    profile = crystallinity_profile([randomised, randomise_upper_half(slab, np.random.default_rng(2))], n_slices=6)
    assert np.allclose(profile.crystallinity[:3], 1.0)
    assert profile.crystallinity[3:].max() < 0.3


def test_slices_without_the_species_are_nan():
    lower_half = simple_cubic_phosphorus((4, 4, 8))
    del lower_half[lower_half.get_scaled_positions()[:, 2] >= 0.5]
    profile = crystallinity_profile([lower_half], n_slices=8)
    assert np.all(np.isnan(profile.crystallinity[4:]))
    assert np.allclose(profile.crystallinity[:4], 1.0)
    with pytest.raises(ValueError, match='NaN'):
        interface_widths(profile.crystallinity, profile.slice_thickness)
    with pytest.raises(ValueError, match="no atom of 'Si'"):
        crystallinity_profile([lower_half], n_slices=8, symbol='Si')
    with pytest.raises(ValueError, match='alias'):
        crystallinity_profile([lower_half], n_slices=8, sigma=0.2, grid_spacing=0.25)


def test_width_of_linear_ramps():
    # 100 slices of 0.5 A: crystal plateau, a 10 A (20 slice) linear ramp down, glass, a ramp up.
    # Between the 90 % and 10 % levels a linear ramp spans 80 % of its length: 8 A.
    ramp = np.linspace(1.0, 0.0, 21)
    profile = np.concatenate([np.ones(30), ramp[1:], np.zeros(30), ramp[::-1][1:]])
    assert profile.shape == (100,)
    assert interface_widths(profile, 0.5) == pytest.approx([8.0, 8.0])
    assert interface_widths(np.roll(profile, 37), 0.5) == pytest.approx([8.0, 8.0])
    assert interface_widths(profile, 0.5, low=0.0, high=1.0) == pytest.approx([10.0, 10.0])
    assert interface_widths(np.ones(10), 0.5).size == 0
