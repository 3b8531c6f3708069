"""Ionic conductivity from diffusion coefficients: the Nernst-Einstein relation and the Haven ratio.

For N carriers of charge q e in a cell of volume V at temperature T,

    sigma = N (q e)^2 D / (V k_B T),

with D the three-dimensional diffusion coefficient defined by MSD(t) = 6 D t (tracer D* from the tracer
MSD, or D_sigma from the collective MSD per carrier, see :mod:`aiida_lps.analysis.msd`). The thesis's eq. 18
writes 1/(3 V k_B T); with its eq. 20, D* = MSD/(6 t) (this D), that gives a third of this sigma. The 1/3 is
right only for D' = MSD/(2 t) = 3 D, the sum of the three per-direction coefficients, with which eq. 18 gives
this sigma. T is the temperature the carriers had: the mean kinetic temperature of the run, not the
thermostat's target (:mod:`aiida_lps.analysis.conductivity_summary`). With the tracer D* the result
assumes uncorrelated carriers (Haven ratio H = D*/D_sigma = 1); D_sigma includes the cross-correlations.

References:
- A. R. Allnatt, A. B. Lidiard, "Atomic Transport in Solids", Cambridge University Press (1993), ch. 5.
- G. E. Murch, "The Haven ratio in fast ionic conductors", Solid State Ionics 7, 177 (1982).
"""
import numpy as np
import scipy.constants

from .diffusion import A2_PER_PS_IN_CM2_PER_S

__all__ = ('haven_ratio', 'nernst_einstein_conductivity', 'nernst_einstein_factor', 'ratio_with_error')

#: 1 cm^2/s = 1e-4 m^2/s; 1 Angstrom^3 = 1e-30 m^3; 1 S/m = 1e-2 S/cm.
_M2_PER_CM2 = 1e-4
_M3_PER_A3 = 1e-30
_S_PER_CM_PER_S_PER_M = 1e-2


def nernst_einstein_factor(n_carriers, volume_A3, temperature_K, charge=1.0):
    """Conductivity per unit diffusion coefficient, N (q e)^2 / (V k_B T), in (S/cm) / (Angstrom^2/ps).

    The only place where units are converted for the conductivity.

    :param n_carriers: number N of mobile ions in the cell.
    :param volume_A3: cell volume V, Angstrom^3.
    :param temperature_K: temperature T, K.
    :param charge: carrier charge q in units of the elementary charge (Li: 1).
    :return: factor f with sigma [S/cm] = f * D [Angstrom^2/ps].
    """
    if volume_A3 <= 0 or temperature_K <= 0:
        raise ValueError(f'volume ({volume_A3} A^3) and temperature ({temperature_K} K) must be positive')
    one_A2_per_ps_in_m2_per_s = A2_PER_PS_IN_CM2_PER_S * _M2_PER_CM2
    factor_s_per_m = (
        n_carriers * (charge * scipy.constants.e)**2 * one_A2_per_ps_in_m2_per_s
        / (volume_A3 * _M3_PER_A3 * scipy.constants.k * temperature_K)
    )
    return factor_s_per_m * _S_PER_CM_PER_S_PER_M


def nernst_einstein_conductivity(diffusivity_A2_per_ps, diffusivity_err_A2_per_ps, *, n_carriers, volume_A3,
                                 temperature_K, charge=1.0):
    """Nernst-Einstein conductivity and its standard error (N, V, T, q taken as exact).

    :param diffusivity_A2_per_ps: 3-D diffusion coefficient D (MSD = 6 D t), Angstrom^2/ps; the tracer
        D* gives the Haven-free estimate, D_sigma the collective one.
    :param diffusivity_err_A2_per_ps: one standard error of D, Angstrom^2/ps.
    :param n_carriers: number N of mobile ions in the cell.
    :param volume_A3: cell volume, Angstrom^3.
    :param temperature_K: temperature, K.
    :param charge: carrier charge in units of the elementary charge.
    :return: (sigma, sigma_err) in S/cm.
    """
    factor = nernst_einstein_factor(n_carriers, volume_A3, temperature_K, charge)
    return factor * diffusivity_A2_per_ps, factor * diffusivity_err_A2_per_ps


def haven_ratio(tracer_diffusivity, tracer_err, collective_diffusivity, collective_err):
    """Haven ratio H = D* / D_sigma with first-order error propagation.

    The two estimates come from the same trajectory and are positively correlated; adding their relative
    errors in quadrature, as done here, therefore overestimates the error of H.

    :param tracer_diffusivity: tracer D*, any unit (same as the other three arguments).
    :param tracer_err: one standard error of D*.
    :param collective_diffusivity: D_sigma from the collective MSD per carrier.
    :param collective_err: one standard error of D_sigma.
    :return: (H, H_err), dimensionless.
    """
    if collective_diffusivity <= 0:
        raise ValueError(f'D_sigma = {collective_diffusivity} is not positive: the collective MSD shows no '
                         'diffusion in the window; use a longer trajectory')
    return ratio_with_error(tracer_diffusivity, tracer_err, collective_diffusivity, collective_err)


def ratio_with_error(numerator, numerator_err, denominator, denominator_err):
    """a / b with first-order error propagation (relative errors in quadrature): exact to first order for
    independent a and b, an overestimate for positively correlated ones.

    :return: (ratio, ratio_err) in the unit of a / b.
    """
    ratio = numerator / denominator
    return ratio, abs(ratio) * np.hypot(numerator_err / numerator, denominator_err / denominator)
