"""Mean square displacements over all time origins, computed with FFTs.

For a coordinate series x(k), k = 0 .. n-1, the time-origin-averaged squared displacement at lag m,

    MSD(m) = 1/(n - m) sum_{k=0}^{n-m-1} [x(k+m) - x(k)]^2 = S1(m) - 2 S2(m),

splits into S1(m) = 1/(n - m) sum_k [x(k+m)^2 + x(k)^2], a running sum, and the autocorrelation
S2(m) = 1/(n - m) sum_k x(k) x(k+m), computed with a zero-padded FFT (Wiener-Khinchin). The cost is
O(n log n) per coordinate instead of O(n^2) for the direct double loop.

References:
- G. R. Kneller, V. Keiner, M. Kneller, M. Schiller, "nMOLDYN: A program package for a neutron
  scattering oriented analysis of molecular dynamics simulations", Comput. Phys. Commun. 91, 191 (1995).
- V. Calandrini, E. Pellegrini, P. Calligari, K. Hinsen, G. R. Kneller, "nMoldyn - interfacing spectroscopic
  experiments, molecular dynamics simulations and models for time correlation functions",
  JDN 12, 201 (2011).

Positions are unwrapped Cartesian coordinates of shape (n_frames, n_atoms, 3) in Angstrom. The drift of
the whole simulation cell (a non-zero total momentum, or the numerical drift of a thermostat) is removed
by subtracting, frame by frame, the centre-of-mass displacement of reference atoms, by default the
non-mobile framework (everything that is not the selected species).

The collective ("charge") MSD of N identical carriers is defined here per carrier,

    MSD_coll(t) = < |sum_i [r_i(t0 + t) - r_i(t0)]|^2 > / N,

so that it equals the tracer MSD when the carriers move independently, D_sigma = MSD_coll / (6 t) in 3-D,
and the Haven ratio is H = D* / D_sigma (see :mod:`aiida_lps.analysis.conductivity`).
"""
import numpy as np
import scipy.fft

__all__ = (
    'collective_msd',
    'msd_all_origins',
    'remove_drift',
    'tracer_msd',
    'unwrap_positions',
)

#: Number of coordinate columns transformed at once; bounds the memory of the FFT work arrays.
COLUMNS_PER_CHUNK = 256


def msd_all_origins(coordinates):
    """Return the squared displacement of every coordinate series, averaged over all time origins.

    Kneller's S1 - 2 S2 algorithm (module docstring): the autocorrelation comes from a zero-padded FFT,
    so the cost is O(n_frames log n_frames) per series.

    :param coordinates: unwrapped coordinates, shape (n_frames, ...), Angstrom; every trailing index is
        an independent one-dimensional series (for example (n_frames, n_atoms, 3)).
    :return: MSD per series, shape (n_frames, ...), Angstrom^2; index m is the lag of m frames, the
        average over the n_frames - m available time origins. Lag 0 is exactly 0.
    """
    coordinates = np.asarray(coordinates, dtype=float)
    n_frames = coordinates.shape[0]
    if n_frames < 2:
        raise ValueError(f'an MSD needs at least 2 frames, got {n_frames}')
    series = coordinates.reshape(n_frames, -1)
    msd = np.empty_like(series)
    for first in range(0, series.shape[1], COLUMNS_PER_CHUNK):
        chunk = slice(first, first + COLUMNS_PER_CHUNK)
        msd[:, chunk] = _msd_fft(series[:, chunk])
    return msd.reshape(coordinates.shape)


def _msd_fft(series):
    """S1 - 2 S2 for columns of ``series`` (n_frames, n_series), Angstrom; returns Angstrom^2."""
    n_frames = series.shape[0]
    n_origins = np.arange(n_frames, 0, -1, dtype=float)[:, None]
    squared = series**2
    # Running sum of x(k)^2 + x(k+m)^2 over the origins k: drop one term from each end per lag.
    dropped_front = np.concatenate([np.zeros((1, series.shape[1])), np.cumsum(squared[:-1], axis=0)])
    dropped_back = np.concatenate([np.zeros((1, series.shape[1])), np.cumsum(squared[::-1][:-1], axis=0)])
    total = squared.sum(axis=0)
    s1 = (2.0 * total - dropped_front - dropped_back) / n_origins
    n_fft = scipy.fft.next_fast_len(2 * n_frames, real=True)
    spectrum = scipy.fft.rfft(series, n=n_fft, axis=0)
    autocorrelation = scipy.fft.irfft(spectrum * spectrum.conj(), n=n_fft, axis=0)[:n_frames]
    s2 = autocorrelation / n_origins
    msd = s1 - 2.0 * s2
    msd[0] = 0.0
    return msd


def unwrap_positions(positions, cells):
    """Undo periodic wrapping by counting the cell images each atom has crossed into.

    Between consecutive frames an atom is assumed to take the shortest path (minimum image in fractional
    coordinates), so it must move less than half a cell length per frame; store frames often enough (for
    LPS at 1000 K every 100 fs is ample). The image count n(t) is applied with the cell of the same frame,
    r_unwrapped(t) = r(t) + n(t) C(t), the LAMMPS image-flag convention, which stays exact for a changing
    (NPT) cell. Already unwrapped input is returned unchanged.

    :param positions: wrapped Cartesian positions, shape (n_frames, n_atoms, 3), Angstrom.
    :param cells: cell vectors as rows, shape (3, 3) or (n_frames, 3, 3) for a changing cell, Angstrom.
    :return: unwrapped positions, shape (n_frames, n_atoms, 3), Angstrom; frame 0 is unchanged.
    """
    positions = np.asarray(positions, dtype=float)
    cells = np.broadcast_to(np.asarray(cells, dtype=float), (positions.shape[0], 3, 3))
    fractional = np.einsum('fai,fij->faj', positions, np.linalg.inv(cells))
    images = np.zeros_like(fractional)
    images[1:] = -np.cumsum(np.round(np.diff(fractional, axis=0)), axis=0)
    return positions + np.einsum('fai,fij->faj', images, cells)


def remove_drift(positions, reference_indices, masses=None):
    """Subtract the centre-of-mass displacement of reference atoms from all atoms, frame by frame.

    :param positions: unwrapped positions, shape (n_frames, n_atoms, 3), Angstrom.
    :param reference_indices: indices of the atoms whose centre of mass defines the frame of reference
        (for LPS the P and S framework); an empty selection returns the positions unchanged.
    :param masses: atomic masses, shape (n_atoms,), amu; None weights the reference atoms equally.
    :return: positions relative to the moving reference centre, shape (n_frames, n_atoms, 3), Angstrom.
    """
    positions = np.asarray(positions, dtype=float)
    reference_indices = np.asarray(reference_indices, dtype=int)
    if reference_indices.size == 0:
        return positions.copy()
    weights = np.ones(reference_indices.size) if masses is None else np.asarray(masses, float)[reference_indices]
    centre = np.einsum('fai,a->fi', positions[:, reference_indices], weights / weights.sum())
    return positions - (centre - centre[0])[:, None, :]


def tracer_msd(positions, mobile_indices, reference_indices=None, masses=None):
    """Tracer MSD of every selected atom along x, y and z, drift-corrected, over all time origins.

    :param positions: unwrapped positions, shape (n_frames, n_atoms, 3), Angstrom.
    :param mobile_indices: indices of the atoms to follow (for example all Li), length n_mobile.
    :param reference_indices: atoms whose centre-of-mass drift is removed; None uses every atom not in
        ``mobile_indices`` (the framework), and an empty list disables drift removal.
    :param masses: atomic masses, shape (n_atoms,), amu, for the centre of mass; None weights equally.
    :return: MSD per lag, atom and direction, shape (n_frames, n_mobile, 3), Angstrom^2. Sum the last
        axis for the 3-D MSD and average the middle axis for the species MSD.
    """
    mobile_positions = _drift_corrected_selection(positions, mobile_indices, reference_indices, masses)
    return msd_all_origins(mobile_positions)


def collective_msd(positions, mobile_indices, reference_indices=None, masses=None):
    """Collective MSD of the selected atoms per carrier, <|sum_i dr_i(t)|^2> / N, along x, y and z.

    Equal to the tracer MSD for uncorrelated carriers; its slope gives D_sigma (module docstring).

    :param positions: unwrapped positions, shape (n_frames, n_atoms, 3), Angstrom.
    :param mobile_indices: indices of the N carriers (one species, so one charge), length N.
    :param reference_indices: as in :func:`tracer_msd`; drift removal matters most here.
    :param masses: atomic masses, shape (n_atoms,), amu; None weights the reference atoms equally.
    :return: collective MSD per lag and direction, shape (n_frames, 3), Angstrom^2.
    """
    mobile_positions = _drift_corrected_selection(positions, mobile_indices, reference_indices, masses)
    n_carriers = mobile_positions.shape[1]
    return msd_all_origins(mobile_positions.sum(axis=1)) / n_carriers


def _drift_corrected_selection(positions, mobile_indices, reference_indices, masses):
    """Positions of the mobile atoms, shape (n_frames, n_mobile, 3), with the reference drift removed."""
    positions = np.asarray(positions, dtype=float)
    if positions.ndim != 3 or positions.shape[2] != 3:
        raise ValueError(f'positions must have shape (n_frames, n_atoms, 3), got {positions.shape}')
    mobile_indices = np.asarray(mobile_indices, dtype=int)
    if mobile_indices.size == 0:
        raise ValueError('no mobile atoms selected: check the species symbol or the index list')
    if reference_indices is None:
        reference_indices = np.setdiff1d(np.arange(positions.shape[1]), mobile_indices)
    return remove_drift(positions, reference_indices, masses)[:, mobile_indices]
