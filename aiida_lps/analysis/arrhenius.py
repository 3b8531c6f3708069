"""Arrhenius analysis of ionic conductivities: ln(sigma T) = ln A - E_A / (k_B T).

The line y = ln(sigma T) against x = 1/T is fitted by weighted least squares with per-point standard
errors sigma_y = sigma_err / sigma (first-order propagation into the logarithm). The parameter covariance
is the absolute one, (X^T W X)^-1, scaled up by the reduced chi^2 when the points scatter more than their
errors say (Birge ratio; never scaled down). E_A and the extrapolated sigma(T), for example at 300 K,
carry errors from the full covariance of slope and intercept, which are strongly anti-correlated because
1/T of the data lies far from 1/(300 K).

Intervals. With the scale of the errors estimated from the scatter of n points, (estimate - truth) / error
follows Student's t with n - 2 degrees of freedom, not a normal distribution: with three temperatures (one
degree of freedom) the two-sided 95 % interval is +- 12.7 standard errors, not +- 1.96. Intervals of E_A and
of sigma(T) therefore use t quantiles with n - 2 degrees of freedom (``CONFIDENCE`` by default); with the
absolute covariance (reduced chi^2 below 1) this is conservative. ln(sigma T) is linear in the fit parameters,
so its interval is exact in log space and that of sigma(T) is log-normal (asymmetric):
sigma exp(+- t s_ln), s_ln^2 = g C g^T with g = (1/T, 1). A first-order sigma +- sigma s_ln is not given:
at 300 K s_ln is often above 1 and the symmetric error would reach below zero.

Fewer than three distinct temperatures are refused: two points always lie on a line and give no check
of linearity and no degrees of freedom for the scatter.

References:
- P. R. Bevington, D. K. Robinson, "Data Reduction and Error Analysis for the Physical Sciences",
  3rd ed., McGraw-Hill (2003), ch. 6-7 (weighted linear fit, parameter covariance).
- Student (W. S. Gosset), "The probable error of a mean", Biometrika 6, 1 (1908) (t quantiles).
- R. T. Birge, "The calculation of errors by the method of least squares", Phys. Rev. 40, 207 (1932).
- X. He, Y. Zhu, A. Epstein, Y. Mo, "Statistical variances of diffusional properties from ab initio
  molecular dynamics simulations", npj Comput. Mater. 4, 18 (2018) (Arrhenius extrapolation of MD data).
"""
from dataclasses import dataclass

from ase.units import kB
import numpy as np
import scipy.stats

__all__ = ('ArrheniusFit', 'TooFewTemperaturesError', 'ensemble_average', 'fit_arrhenius')

#: Minimum number of distinct temperatures for an Arrhenius fit.
MIN_TEMPERATURES = 3
#: Two-sided confidence level of the intervals of E_A and sigma(T).
CONFIDENCE = 0.95


class TooFewTemperaturesError(ValueError):
    """An Arrhenius fit was asked for with fewer than three distinct temperatures."""


@dataclass(frozen=True)
class ArrheniusFit:
    """Weighted fit of ln(sigma T / (S K/cm)) = intercept + slope_K / T.

    :param slope_K: slope -E_A / k_B, K.
    :param intercept: ln(A / (S K/cm)).
    :param parameter_covariance: covariance of (slope_K, intercept), shape (2, 2), units K^2, K, 1.
    :param chi2_reduced: chi^2 / (n_temperatures - 2) of the weighted fit.
    :param n_temperatures: number of data points.
    """

    slope_K: float
    intercept: float
    parameter_covariance: np.ndarray
    chi2_reduced: float
    n_temperatures: int

    @property
    def activation_energy_eV(self):
        """E_A = -k_B slope, eV."""
        return -kB * self.slope_K

    @property
    def activation_energy_err_eV(self):
        """One standard error of E_A, eV."""
        return kB * np.sqrt(self.parameter_covariance[0, 0])

    @property
    def prefactor_S_K_per_cm(self):
        """Pre-exponential factor A of sigma T = A exp(-E_A / k_B T), S K/cm."""
        return np.exp(self.intercept)

    @property
    def degrees_of_freedom(self):
        """n_temperatures - 2: the points left over for the scatter after a line."""
        return self.n_temperatures - 2

    def t_quantile(self, confidence=CONFIDENCE):
        """Half-width of the two-sided ``confidence`` interval in standard errors: Student t, n - 2 dof."""
        return float(scipy.stats.t.ppf(0.5 + confidence / 2, self.degrees_of_freedom))

    def activation_energy_interval_eV(self, confidence=CONFIDENCE):
        """(low, high) of E_A, eV: E_A -+ t_(n-2) times its standard error."""
        half_width = self.t_quantile(confidence) * self.activation_energy_err_eV
        return self.activation_energy_eV - half_width, self.activation_energy_eV + half_width

    def conductivity_S_per_cm(self, temperature_K):
        """Conductivity on the fitted line, sigma = exp(intercept + slope / T) / T, S/cm.

        :param temperature_K: temperature(s), K, scalar or array; the result has its shape.
        """
        inverse_temperature = 1.0 / np.asarray(temperature_K, dtype=float)
        return np.exp(self.intercept + self.slope_K * inverse_temperature) * inverse_temperature

    def ln_conductivity_err(self, temperature_K):
        """Standard error of ln(sigma(T)) from the full covariance, sqrt(g C g^T) with g = (1/T, 1), dimensionless.

        :param temperature_K: temperature(s), K, scalar or array; the result has its shape.
        """
        inverse_temperature = 1.0 / np.asarray(temperature_K, dtype=float)
        covariance = self.parameter_covariance
        return np.sqrt(covariance[0, 0] * inverse_temperature**2 + 2 * covariance[0, 1] * inverse_temperature
                       + covariance[1, 1])

    def conductivity_interval_S_per_cm(self, temperature_K, confidence=CONFIDENCE):
        """Log-normal (log-t) interval of sigma(T): sigma exp(-+ t_(n-2) s_ln), S/cm (module docstring).

        :param temperature_K: temperature(s), K, scalar or array.
        :param confidence: two-sided confidence level.
        :return: (low, high), each of the shape of ``temperature_K``, S/cm.
        """
        sigma = self.conductivity_S_per_cm(temperature_K)
        half_width = self.t_quantile(confidence) * self.ln_conductivity_err(temperature_K)
        with np.errstate(over='ignore'):  # a few very noisy points: (0, inf), not a warning
            return sigma * np.exp(-half_width), sigma * np.exp(half_width)


def fit_arrhenius(temperatures_K, conductivities_S_per_cm, conductivity_errs_S_per_cm):
    """Weighted least-squares Arrhenius fit of ln(sigma T) against 1/T (module docstring).

    :param temperatures_K: temperatures, shape (n,), K; at least three distinct values.
    :param conductivities_S_per_cm: conductivities, shape (n,), S/cm, all positive.
    :param conductivity_errs_S_per_cm: their standard errors, shape (n,), S/cm, all positive.
    :return: an :class:`ArrheniusFit`.
    :raises TooFewTemperaturesError: with fewer than three distinct temperatures.
    """
    temperatures_K = np.asarray(temperatures_K, dtype=float)
    sigma = np.asarray(conductivities_S_per_cm, dtype=float)
    sigma_err = np.asarray(conductivity_errs_S_per_cm, dtype=float)
    if not temperatures_K.shape == sigma.shape == sigma_err.shape or temperatures_K.ndim != 1:
        raise ValueError('temperatures, conductivities and errors must be 1-D arrays of equal length, got shapes '
                         f'{temperatures_K.shape}, {sigma.shape}, {sigma_err.shape}')
    n_distinct = np.unique(temperatures_K).size
    if n_distinct < MIN_TEMPERATURES:
        raise TooFewTemperaturesError(
            f'an Arrhenius fit needs at least {MIN_TEMPERATURES} distinct temperatures, got {n_distinct}: '
            'run MD at more temperatures (thesis: glasses 400-700 K, crystals 500-1400 K)'
        )
    if np.any(sigma <= 0) or np.any(sigma_err <= 0) or np.any(temperatures_K <= 0):
        raise ValueError('temperatures, conductivities and their errors must all be positive; drop points '
                         'where the MSD gave no diffusion')
    design = np.column_stack([1.0 / temperatures_K, np.ones_like(temperatures_K)])
    response = np.log(sigma * temperatures_K)
    weights = (sigma / sigma_err)**2
    normal_matrix = design.T @ (weights[:, None] * design)
    absolute_covariance = np.linalg.inv(normal_matrix)
    slope, intercept = absolute_covariance @ design.T @ (weights * response)
    residuals = response - design @ np.array([slope, intercept])
    degrees_of_freedom = temperatures_K.size - 2
    chi2_reduced = float(weights @ residuals**2 / degrees_of_freedom)
    return ArrheniusFit(
        slope_K=float(slope),
        intercept=float(intercept),
        parameter_covariance=absolute_covariance * max(1.0, chi2_reduced),
        chi2_reduced=chi2_reduced,
        n_temperatures=temperatures_K.size,
    )


def ensemble_average(values):
    """Mean and standard error of the mean over an ensemble of independent structures.

    :param values: one value per structure along axis 0, shape (n_structures, ...), any unit (for
        example conductivities in S/cm of 20 glasses at one temperature).
    :return: (mean, standard_error), each of shape values.shape[1:], same unit.
    """
    values = np.asarray(values, dtype=float)
    if values.shape[0] < 2:
        raise ValueError(f'an ensemble average needs at least 2 structures, got {values.shape[0]}')
    return values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
