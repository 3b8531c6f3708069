"""Validation of a potential against DFT MD: the tracer D of the same cell at the same temperature, both ways.

Each run is analysed as the conductivity workflow analyses it (:func:`.conductivity_summary.analyse_trajectory`:
drift-corrected tracer MSD, GLS fit with the automatic or a given window, Nernst-Einstein at the run's mean
production temperature). The ratio D_MLIP / D_DFT carries the first-order error of two independent estimates
(:func:`.conductivity.ratio_with_error`). The carrier-averaged MSD curves of both runs are returned on their
common lag grid for one plot.
"""
from __future__ import annotations

import numpy as np
from ase.data import atomic_masses, atomic_numbers

from .conductivity import ratio_with_error
from .conductivity_summary import analyse_trajectory
from .msd import tracer_msd

__all__ = ('compare_diffusion',)


def compare_diffusion(mlip: dict, dft: dict, *, mobile_species: str = 'Li', fit_start_ps=None,
                      fit_end_ps=None) -> dict:
    """D of the MLIP and the DFT run of one cell and temperature, their ratio, and both MSD curves.

    :param mlip: the MLIP run: ``positions_A`` (n_frames, n_atoms, 3) unwrapped, Angstrom; ``symbols``; ``cells_A``
        (n_frames, 3, 3), Angstrom; ``times_ps`` (n_frames,), equally spaced, ps; ``production_temperatures_K``,
        the kinetic temperatures of the production steps, K.
    :param dft: the DFT run, the same keys.
    :param mobile_species: chemical symbol of the carriers.
    :param fit_start_ps: MSD fit window start, ps, for both runs; None: automatic per run.
    :param fit_end_ps: MSD fit window end, ps; None: half of each run.
    :return: ``mlip`` and ``dft`` (diffusivity_A2_per_ps, diffusivity_err_A2_per_ps, conductivity_S_per_cm,
        conductivity_err_S_per_cm, is_diffusive, not_diffusive_reason, temperature_K (mean production T),
        fit_start_ps, fit_end_ps, n_frames), ``ratio`` and ``ratio_err`` (D_MLIP / D_DFT; None unless both D are
        positive), ``lag_ps`` (n_lags,) and ``msd_A2`` ({mlip, dft}: carrier-averaged MSD, Angstrom^2) over the
        lags both runs have.
    """
    runs = {'mlip': mlip, 'dft': dft}
    result, curves = {}, {}
    for name, run in runs.items():
        temperature_K = float(np.mean(run['production_temperatures_K']))
        analysis = analyse_trajectory(run['positions_A'], run['symbols'], run['cells_A'], run['times_ps'],
                                      temperature_K, mobile_species=mobile_species, fit_start_ps=fit_start_ps,
                                      fit_end_ps=fit_end_ps)
        result[name] = {**analysis['tracer'], 'is_diffusive': analysis['is_diffusive'],
                        'not_diffusive_reason': analysis['not_diffusive_reason'], 'temperature_K': temperature_K,
                        'n_frames': analysis['n_frames']}
        curves[name] = _carrier_msd(run['positions_A'], run['symbols'], mobile_species)
    d_mlip, d_dft = result['mlip']['diffusivity_A2_per_ps'], result['dft']['diffusivity_A2_per_ps']
    ratio = (ratio_with_error(d_mlip, result['mlip']['diffusivity_err_A2_per_ps'], d_dft,
                              result['dft']['diffusivity_err_A2_per_ps']) if d_mlip > 0 and d_dft > 0 else (None, None))
    n_lags = min(len(curve) for curve in curves.values())
    times = np.asarray(dft['times_ps'], dtype=float)
    return {**result, 'ratio': ratio[0], 'ratio_err': ratio[1], 'lag_ps': (times[:n_lags] - times[0]).tolist(),
            'msd_A2': {name: curve[:n_lags].tolist() for name, curve in curves.items()}}


def _carrier_msd(positions_A, symbols, mobile_species: str) -> np.ndarray:
    """MSD of the carriers averaged over them, with the framework's centre of mass held fixed, Angstrom^2."""
    symbols = np.asarray(symbols)
    masses = np.array([atomic_masses[atomic_numbers[symbol]] for symbol in symbols])
    msd = tracer_msd(np.asarray(positions_A, dtype=float), np.flatnonzero(symbols == mobile_species),
                     np.flatnonzero(symbols != mobile_species), masses)
    return msd.sum(axis=-1).mean(axis=1)
