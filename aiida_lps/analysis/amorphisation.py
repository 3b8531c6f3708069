"""Crystallinity profile F(z) across a glass/crystal interface from 2-D Fourier transforms of slices.

Thesis §6.3.2, eq. 23 (method of Stegmaier et al. 2021): the cell is cut into slices along the
interface normal; in each slice the P positions are projected onto the slice plane, smeared with
Gaussians on a periodic 2-D grid and Fourier transformed; the summed Fourier intensity of a slice,
normalised to the largest one, gives F(z). The thesis does not say which intensities it sums. By
Parseval's theorem the sum over *all* wavevectors only measures the self-overlap of the Gaussians
and is blind to order, so we sum over the crystal's Bragg peaks. Our exact definition:

1. slice k holds the atoms of ``symbol`` whose fractional coordinate w along the normal cell
   vector lies in [k / n_slices, (k + 1) / n_slices); they are projected along that cell vector
   onto the plane of the other two (fractional in-plane coordinates u, v);
2. rho_k(u, v) = sum_j exp(-|r(u, v) - r_j|^2 / (2 sigma^2)) on an n_1 x n_2 grid spanning the
   periodic in-plane cell (minimum-image in fractional coordinates), grid spacing about
   ``grid_spacing``;
3. the 2-D FFT gives rho_k(q) at the in-plane reciprocal vectors q = h b_1 + k b_2; the coherent
   fraction I_k(q) = |rho_k(q)|^2 / |rho_k(0)|^2 = |S_k(q)|^2 g(q)^2 / N_k^2 is 1 at a Bragg peak of
   a perfect 2-D Bravais lattice of point atoms (g the Gaussian form factor) and about g^2 / N_k
   for N_k random positions;
4. the Bragg set Q is the ``n_peaks`` largest non-zero-q entries of I averaged over all non-empty
   slices and frames: with a crystalline domain present these are its Bragg peaks (coherent,
   ~N^2) and not the glass's diffuse scattering (~N);
5. raw_k = sum over q in Q of I_k(q), averaged over frames; F_k = raw_k / max_k raw_k.

F is 1 in the most ordered slice and falls towards the random level (about n_peaks g^2 / N_k)
in glass; 1 - F is the degree of amorphisation plotted in the thesis (Fig. 18). Slices without
atoms of ``symbol`` get NaN. The interfacial width is the distance between the crossings of the
``high`` and ``low`` levels (default 90 % and 10 % of the way from min F to max F) on each
crystal/glass transition (:func:`interface_widths`); the thesis finds about 7 A.

References:
    S. Stegmaier et al., Adv. Energy Mater. 11, 2100707 (2021) (Fourier-based amorphisation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ase import Atoms
import numpy as np

__all__ = ('CrystallinityProfile', 'crystal_glass_transitions', 'crystallinity_profile', 'interface_widths')


@dataclass(frozen=True)
class CrystallinityProfile:
    """F(z) across the cell.

    :param slice_centres: slice centres along the normal, shape (n_slices,), Angstrom from the
        cell face (perpendicular height, first frame's cell).
    :param crystallinity: F(z), shape (n_slices,), max 1; NaN for slices without the species.
    :param slice_thickness: perpendicular thickness of a slice, Angstrom.
    :param bragg_indices: in-plane reciprocal-lattice indices (h, k) of the peaks summed,
        shape (n_peaks, 2).
    """

    slice_centres: np.ndarray
    crystallinity: np.ndarray
    slice_thickness: float
    bragg_indices: np.ndarray


def _in_plane_axes(normal_axis: int) -> tuple[int, int]:
    if normal_axis not in (0, 1, 2):
        raise ValueError(f'normal_axis must be 0, 1 or 2 (a cell vector index), got {normal_axis}')
    first, second = (axis for axis in range(3) if axis != normal_axis)
    return first, second


def _smeared_density(fractional: np.ndarray, metric: np.ndarray, grid_shape: tuple[int, int], sigma: float):
    """Periodic sum of Gaussians on a fractional grid.

    :param fractional: in-plane fractional coordinates (n_atoms, 2).
    :param metric: in-plane metric tensor a_i . a_j, shape (2, 2), Angstrom^2.
    :param grid_shape: grid points (n_1, n_2).
    :param sigma: Gaussian width, Angstrom.
    :return: density (n_1, n_2).
    """
    grid_u = np.arange(grid_shape[0]) / grid_shape[0]
    grid_v = np.arange(grid_shape[1]) / grid_shape[1]
    density = np.zeros(grid_shape)
    for u, v in fractional:
        du = (grid_u - u + 0.5) % 1.0 - 0.5
        dv = (grid_v - v + 0.5) % 1.0 - 0.5
        squared = (
            metric[0, 0] * du[:, None] ** 2
            + metric[1, 1] * dv[None, :] ** 2
            + 2.0 * metric[0, 1] * du[:, None] * dv[None, :]
        )
        density += np.exp(-squared / (2.0 * sigma**2))
    return density


def _coherent_fraction(density: np.ndarray) -> np.ndarray:
    """|rho(q)|^2 / |rho(0)|^2 on the FFT grid."""
    intensity = np.abs(np.fft.fft2(density)) ** 2
    return intensity / intensity[0, 0]


def _slice_patterns(frame: Atoms, symbol: str, normal_axis: int, n_slices: int, grid_shape, sigma: float):
    """Coherent-fraction patterns of every slice of one frame; NaN patterns for empty slices.

    :return: array (n_slices, n_1, n_2).
    """
    first, second = _in_plane_axes(normal_axis)
    cell = np.asarray(frame.cell)
    in_plane = cell[[first, second]]
    metric = in_plane @ in_plane.T
    fractional = frame.get_scaled_positions(wrap=True)[np.array(frame.get_chemical_symbols()) == symbol]
    slice_of_atom = np.minimum((fractional[:, normal_axis] * n_slices).astype(int), n_slices - 1)
    patterns = np.full((n_slices, *grid_shape), np.nan)
    for index in range(n_slices):
        members = fractional[slice_of_atom == index][:, [first, second]]
        if len(members):
            patterns[index] = _coherent_fraction(_smeared_density(members, metric, grid_shape, sigma))
    return patterns


def _bragg_peak_mask(mean_pattern: np.ndarray, n_peaks: int) -> np.ndarray:
    """Boolean mask of the ``n_peaks`` largest entries of ``mean_pattern`` away from q = 0."""
    candidates = mean_pattern.copy()
    candidates[0, 0] = -np.inf
    order = np.argsort(candidates, axis=None)[::-1][:n_peaks]
    mask = np.zeros(mean_pattern.shape, dtype=bool)
    mask.flat[order] = True
    return mask


def _fft_indices(mask: np.ndarray) -> np.ndarray:
    """Signed reciprocal-lattice indices (h, k) of the True entries of an FFT-ordered mask."""
    rows, columns = np.nonzero(mask)
    n_1, n_2 = mask.shape
    return np.column_stack([np.fft.fftfreq(n_1, 1.0 / n_1)[rows], np.fft.fftfreq(n_2, 1.0 / n_2)[columns]]).astype(int)


def crystallinity_profile(
    frames: Sequence[Atoms],
    n_slices: int,
    *,
    normal_axis: int = 2,
    symbol: str = 'P',
    sigma: float = 0.5,
    grid_spacing: float = 0.25,
    n_peaks: int = 12,
) -> CrystallinityProfile:
    """Crystallinity F(z) of the ``symbol`` sublattice in slices along a cell vector (thesis eq. 23).

    :param frames: snapshots of one periodic interface cell (Angstrom); the pattern is averaged
        over them before normalising, which smooths thermal noise.
    :param n_slices: number of slices along the normal cell vector.
    :param normal_axis: index of the cell vector along the interface normal.
    :param symbol: species whose positions are analysed (the thesis uses P).
    :param sigma: Gaussian smearing width, Angstrom.
    :param grid_spacing: target spacing of the 2-D grid, Angstrom; must not exceed ``sigma``.
    :param n_peaks: number of Bragg intensities summed (Friedel pairs count twice).
    :return: slice centres (Angstrom), F(z), slice thickness and the (h, k) peaks used.
    """
    if not frames:
        raise ValueError('crystallinity_profile needs at least one frame')
    if grid_spacing > sigma:
        raise ValueError(f'grid_spacing ({grid_spacing} A) must not exceed sigma ({sigma} A), or the Gaussians alias')
    if n_slices < 1:
        raise ValueError(f'n_slices must be positive, got {n_slices}')
    first, second = _in_plane_axes(normal_axis)
    lengths = frames[0].cell.lengths()
    grid_shape = (int(np.ceil(lengths[first] / grid_spacing)), int(np.ceil(lengths[second] / grid_spacing)))
    patterns = np.array([_slice_patterns(f, symbol, normal_axis, n_slices, grid_shape, sigma) for f in frames])
    frames_per_slice = np.isfinite(patterns[:, :, 0, 0]).sum(axis=0)
    occupied = frames_per_slice > 0
    if not occupied.any():
        raise ValueError(f'no atom of {symbol!r} in any frame; choose a species present in the cell')
    slice_patterns = np.nansum(patterns[:, occupied], axis=0) / frames_per_slice[occupied, None, None]
    mask = _bragg_peak_mask(slice_patterns.mean(axis=0), n_peaks)
    raw = np.full(n_slices, np.nan)
    raw[occupied] = slice_patterns[:, mask].sum(axis=1)
    height = 1.0 / np.linalg.norm(frames[0].cell.reciprocal()[normal_axis])
    thickness = height / n_slices
    return CrystallinityProfile(
        slice_centres=(np.arange(n_slices) + 0.5) * thickness,
        crystallinity=raw / np.nanmax(raw),
        slice_thickness=thickness,
        bragg_indices=_fft_indices(mask),
    )


def _crossing_offset(value_before: float, value_after: float, level: float) -> float:
    """Fraction of the way from one slice centre to the next at which a linear profile hits ``level``."""
    return (value_before - level) / (value_before - value_after)


def crystal_glass_transitions(crystallinity, *, low: float = 0.1, high: float = 0.9) -> list[tuple[float, float, int]]:
    """The changes between crystal and glass of a periodic F(z) profile, going round the cell once.

    Levels are relative: L = min F + fraction x (max F - min F). Slices at or above the ``high``
    level are crystal, at or below the ``low`` level glass; each change from a crystal run to the
    next glass run (or back) is one transition, which leaves the level of the first phase and reaches
    that of the second at the linearly interpolated crossings.

    :param crystallinity: F(z) on equally spaced slices covering the cell, shape (n_slices,), no NaN.
    :param low: relative level ending a transition on the glass side.
    :param high: relative level ending it on the crystal side.
    :return: per transition, in order of the slice where it starts: where it leaves and where it arrives, in
        slice-index units (slice k at k; beyond n_slices when it wraps round the cell), and the phase it arrives
        in (1 crystal, -1 glass). Empty if the profile has no crystal-to-glass change.
    :raises ValueError: for empty (NaN) slices or levels outside 0 <= low < high <= 1.
    """
    profile = np.asarray(crystallinity, dtype=float)
    if np.any(np.isnan(profile)):
        raise ValueError('F(z) has empty (NaN) slices; use fewer, thicker slices')
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f'need 0 <= low < high <= 1, got low={low}, high={high}')
    minimum, maximum = profile.min(), profile.max()
    levels = {1: minimum + high * (maximum - minimum), -1: minimum + low * (maximum - minimum)}
    state = np.where(profile >= levels[1], 1, np.where(profile <= levels[-1], -1, 0))
    classified = np.flatnonzero(state)
    n_slices = len(profile)
    transitions = []
    for start, end in zip(classified, np.roll(classified, -1)):
        if state[start] == state[end]:
            continue
        stop = end if end > start else end + n_slices
        leave = start + _crossing_offset(profile[start], profile[(start + 1) % n_slices], levels[state[start]])
        arrive = stop - 1 + _crossing_offset(profile[(stop - 1) % n_slices], profile[end], levels[state[end]])
        transitions.append((float(leave), float(arrive), int(state[end])))
    return transitions


def interface_widths(crystallinity, slice_thickness: float, *, low: float = 0.1, high: float = 0.9) -> np.ndarray:
    """Widths of the crystal/glass transitions of a periodic F(z) profile (onset to offset), Angstrom.

    :param crystallinity: F(z) on equally spaced slices covering the cell, shape (n_slices,), no NaN.
    :param slice_thickness: slice spacing, Angstrom.
    :param low: relative level ending the transition on the glass side (see :func:`crystal_glass_transitions`).
    :param high: relative level ending it on the crystal side.
    :return: widths (n_interfaces,), Angstrom, in order of the slice where each transition starts;
        empty if the profile has no crystal-to-glass change.
    """
    transitions = crystal_glass_transitions(crystallinity, low=low, high=high)
    return np.array([(arrive - leave) * slice_thickness for leave, arrive, _ in transitions], dtype=float)
