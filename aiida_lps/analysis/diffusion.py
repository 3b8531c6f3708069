"""Diffusion coefficients from MSD curves, with uncertainties that respect overlapping time origins.

Estimator: generalised least squares (GLS) of MSD(t) = 2 d D t + c over the diffusive window, with the
covariance matrix of the time-origin-averaged MSD modelled as that of a Gaussian random walk
(Bullerjahn, von Buelow, Hummer 2020; McCluskey, Coles, Morgan 2024 (kinisi)).

Why GLS and not ordinary least squares: MSD values at different lags share time origins and steps, so
they are strongly positively correlated. Ordinary least squares treats them as independent and reports a
slope error that is too small (the documented weakness of pymatgen-analysis-diffusion's
``diffusivity_std_dev``). GLS with the right covariance is the minimum-variance linear estimator and its
parameter covariance, (X^T Sigma^-1 X)^-1, is an honest error bar. Block averaging (Flyvbjerg and
Petersen 1989) would also be honest, but each block must hold the whole fit window, which leaves only a
handful of blocks, a noisy error and a less precise D.

Covariance model. For one Cartesian component of one walker with independent Gaussian steps of
variance s^2 = 2 D dt (dt the frame interval), n frames and lags m <= l (in frames), the origin-averaged
squared displacements M_m, M_l have the exact covariance

    Cov(M_m, M_l) = s^4 * 2 S(m, l) / ((n - m)(n - l)),
    S(m, l) = m^2 (n - l)(l - m + 1) + 2 sum_{w=1}^{m-1} w^2 max(0, w + n - l - m),

(sum over pairs of origins of the squared number of shared steps; summed in closed form with power
sums). The d-dimensional MSD averaged over N independent atoms has d s^4 / N times this shape. The shape
does not depend on D, so the GLS point estimate needs no iteration; the scale uses the fitted D.

Error actually reported. Real ions hop (non-Gaussian displacements) and vibrate, so the random-walk
scale can be too small. Because the GLS estimate is linear in the data, the same weights applied to each
atom's own MSD give per-atom estimates D_i whose mean is exactly the GLS D; their scatter over atoms,
var(D_i) / N, is a model-free variance of the mean (it contains every time correlation of each atom's
trajectory, but assumes the atoms are independent). The reported error is the square root of the larger
of the model and the between-atom variance, so it is never smaller than either. Their ratio is kept as
``dispersion_ratio`` (about 1 for a Gaussian random walk).

Fit window. Unless given, the window ends at ``end_fraction`` (default 0.5) of the trajectory and starts
at the first lag m from which the MSD grows linearly over a factor ``PERSISTENCE_FACTOR`` in time. Growth is
measured by the increment exponent alpha(m) = log2[(MSD(2m) - MSD(m)) / (MSD(m) - MSD(m/2))], the local
exponent of MSD(t) = c + A t^alpha whatever the offset c (vibrations in the cage): 2 while ballistic, below 1
while caged, 1 once diffusive. alpha must stay within a tolerance of 1: ``slope_tolerance``, widened to
``NOISE_SIGMAS`` jackknife (leave-one-atom-out) standard errors of alpha where the data are that noisy (few
hopping carriers), but never beyond ``MAX_SLOPE_TOLERANCE``. Finally the diffusive part must dominate the MSD
at the window end, 2 d D t_end >= ``DOMINANCE`` * c, so a slow creep on top of a cage is not taken for
diffusion. GLS down-weights long lags by itself, so the end point matters little.

When no start meets these rules, :func:`fit_diffusivity` raises :class:`NotDiffusiveError`, which carries the
best start it found (the lag whose exponent came closest to 1 over its horizon, or the start that failed only
the dominance rule); :func:`fit_diffusivity_best_window` then fits that window and returns the estimate
flagged ``is_diffusive=False`` with the reason, so that a user still gets a number and knows what it is worth.

References:
- J. T. Bullerjahn, S. von Buelow, G. Hummer, "Optimal estimates of self-diffusion coefficients from
  molecular dynamics simulations", J. Chem. Phys. 153, 024116 (2020).
- A. R. McCluskey, S. W. Coles, B. J. Morgan, "Accurate estimation of diffusion coefficients and their
  uncertainties from computer simulation", J. Chem. Theory Comput. (2025), arXiv 2024 (kinisi).
- H. Qian, M. P. Sheetz, E. L. Elson, "Single particle tracking", Biophys. J. 60, 910 (1991).
- H. Flyvbjerg, H. G. Petersen, "Error estimates on averages of correlated data", J. Chem. Phys. 91, 461
  (1989).
"""
import dataclasses
from dataclasses import dataclass

import numpy as np

__all__ = (
    'A2_PER_PS_IN_CM2_PER_S',
    'DiffusionFit',
    'MatrixFlowCheck',
    'NotDiffusiveError',
    'assess_matrix_flow',
    'fit_diffusivity',
    'fit_diffusivity_best_window',
    'matrix_flow_thresholds_A2',
    'random_walk_msd_covariance',
    'select_fit_window',
)

#: 1 Angstrom^2/ps = 1e-20 m^2 / 1e-12 s = 1e-4 cm^2/s.
A2_PER_PS_IN_CM2_PER_S = 1e-4
#: The increment exponent of the MSD must stay near 1 over this factor in lag time for the window to start.
PERSISTENCE_FACTOR = 4.0
#: Where alpha is noisy, its tolerance widens to this many jackknife standard errors ...
NOISE_SIGMAS = 3.0
#: ... but never beyond this: an exponent outside [0.5, 1.5] is not diffusion, however noisy.
MAX_SLOPE_TOLERANCE = 0.5
#: At the window end the linear part 2 d D t of the MSD must be at least this multiple of its offset c
#: (there the log-log slope of the MSD is >= 5/6).
DOMINANCE = 5.0
#: MSD above which a framework atom that cannot rotate away (P) has left its site, Angstrom^2: above the
#: vibrational plateau of the thiophosphate framework.
SITE_THRESHOLD_A2 = 3.0
#: P-S bond length of a PS4 tetrahedron, Angstrom (thesis; the radius of the S sphere about P).
PS_BOND_LENGTH_A = 2.05
#: At most this many lags (geometrically spaced over the window, dense where the data are most precise)
#: enter the GLS fit.
MAX_FIT_POINTS = 100


class NotDiffusiveError(ValueError):
    """The MSD never reaches a diffusive (linear growth) regime inside the allowed window.

    :param message: which rule failed and what to do.
    :param best_start_lag: the start (frames) of the window that came closest to the rules.
    """

    def __init__(self, message, best_start_lag):
        super().__init__(message)
        self.best_start_lag = int(best_start_lag)


@dataclass(frozen=True)
class DiffusionFit:
    """Result of a GLS fit of MSD(t) = 2 d D t + c.

    :param diffusivity_A2_per_ps: diffusion coefficient D, Angstrom^2/ps.
    :param diffusivity_err_A2_per_ps: one standard error of D, Angstrom^2/ps (module docstring).
    :param intercept_A2: fitted offset c (vibrational/ballistic part), Angstrom^2.
    :param fit_start_ps: first lag of the fit window, ps.
    :param fit_end_ps: last lag of the fit window, ps.
    :param n_atoms: number of atoms (MSD series) averaged.
    :param n_dimensions: number of Cartesian directions summed in the MSD (3 for the 3-D MSD).
    :param dispersion_ratio: between-atom variance of D over the random-walk model variance; about 1
        for Gaussian diffusion, larger for hopping or correlated noise, nan for a single series.
    :param is_diffusive: False for a best-window estimate whose window the rules could not justify.
    :param not_diffusive_reason: why not (the message of the :class:`NotDiffusiveError`), else None.
    """

    diffusivity_A2_per_ps: float
    diffusivity_err_A2_per_ps: float
    intercept_A2: float
    fit_start_ps: float
    fit_end_ps: float
    n_atoms: int
    n_dimensions: int
    dispersion_ratio: float
    is_diffusive: bool = True
    not_diffusive_reason: str | None = None

    @property
    def diffusivity_cm2_per_s(self):
        """D in cm^2/s."""
        return self.diffusivity_A2_per_ps * A2_PER_PS_IN_CM2_PER_S

    @property
    def diffusivity_err_cm2_per_s(self):
        """One standard error of D in cm^2/s."""
        return self.diffusivity_err_A2_per_ps * A2_PER_PS_IN_CM2_PER_S

    def fitted_msd_A2(self, time_ps):
        """The fitted line 2 d D t + c, Angstrom^2, at times ``time_ps`` (ps, any shape)."""
        return 2 * self.n_dimensions * self.diffusivity_A2_per_ps * np.asarray(time_ps) + self.intercept_A2


def random_walk_msd_covariance(lags, n_frames):
    """Covariance shape of origin-averaged MSDs of a 1-D Gaussian random walk with unit step variance.

    Exact for a walk sampled at ``n_frames`` frames (formula in the module docstring). Multiply by
    d (2 D dt)^2 / N for the d-dimensional MSD averaged over N independent walkers.

    :param lags: lags in frames, shape (n_lags,), integers in [1, n_frames - 1].
    :param n_frames: number of frames of the trajectory.
    :return: covariance matrix, shape (n_lags, n_lags), in units of (step variance)^2.
    """
    lags = np.asarray(lags, dtype=int)
    if lags.min() < 1 or lags.max() > n_frames - 1:
        raise ValueError(f'lags must lie in [1, {n_frames - 1}] frames, got [{lags.min()}, {lags.max()}]')
    short = np.minimum.outer(lags, lags).astype(float)
    long = np.maximum.outer(lags, lags).astype(float)
    kappa = n_frames - short - long
    first = np.maximum(1.0, 1.0 - kappa)
    last = short - 1.0
    partial = np.where(
        first <= last,
        _sum_of_cubes(last) - _sum_of_cubes(first - 1) + kappa * (_sum_of_squares(last) - _sum_of_squares(first - 1)),
        0.0,
    )
    shared_steps = short**2 * (n_frames - long) * (long - short + 1) + 2.0 * partial
    return 2.0 * shared_steps / ((n_frames - short) * (n_frames - long))


def _sum_of_squares(n):
    """1^2 + 2^2 + ... + n^2 for (float) n >= 0."""
    return n * (n + 1) * (2 * n + 1) / 6.0


def _sum_of_cubes(n):
    """1^3 + 2^3 + ... + n^3 for (float) n >= 0."""
    return (n * (n + 1) / 2.0)**2


def select_fit_window(msd_A2, frame_interval_ps, *, fit_start_ps=None, fit_end_ps=None, end_fraction=0.5,
                      slope_tolerance=0.15):
    """Choose the lags of the diffusive regime (rules in the module docstring).

    :param msd_A2: per-atom MSDs, shape (n_frames, n_atoms), or one series, shape (n_frames,), Angstrom^2,
        index = lag in frames. With one series the tolerance is not widened by noise.
    :param frame_interval_ps: time between stored frames, ps.
    :param fit_start_ps: fixed window start, ps; None chooses it from the growth of the MSD.
    :param fit_end_ps: fixed window end, ps; None uses ``end_fraction`` of the trajectory.
    :param end_fraction: window end as a fraction of the trajectory length when ``fit_end_ps`` is None.
    :param slope_tolerance: accepted |alpha - 1| for the automatic start where alpha is not noisier.
    :return: (start_lag, end_lag) in frames, 1 <= start_lag < end_lag <= n_frames - 1.
    :raises NotDiffusiveError: if no start satisfies the growth criteria.
    """
    msd_A2 = np.asarray(msd_A2, dtype=float)
    msd_A2 = msd_A2[:, None] if msd_A2.ndim == 1 else msd_A2
    last_lag = msd_A2.shape[0] - 1
    end_lag = int(round(fit_end_ps / frame_interval_ps)) if fit_end_ps is not None else int(end_fraction * last_lag)
    if not 2 <= end_lag <= last_lag:
        raise ValueError(
            f'fit window end {end_lag * frame_interval_ps:g} ps is outside [{2 * frame_interval_ps:g}, '
            f'{last_lag * frame_interval_ps:g}] ps: give a fit end (or end fraction) inside the trajectory'
        )
    if fit_start_ps is not None:
        start_lag = max(1, int(round(fit_start_ps / frame_interval_ps)))
        if start_lag >= end_lag:
            raise ValueError(f'fit window start {fit_start_ps} ps is not before its end '
                             f'{end_lag * frame_interval_ps:g} ps')
        return start_lag, end_lag
    return _diffusive_start_lag(msd_A2[:end_lag + 1], frame_interval_ps, slope_tolerance), end_lag


def _increment_exponents(msd_A2, lags):
    """alpha(m) = log2[(MSD(2m) - MSD(m)) / (MSD(m) - MSD(m/2))] of the atom mean and its jackknife error.

    :param msd_A2: per-atom MSDs, shape (n_frames, n_atoms), Angstrom^2.
    :param lags: even lags m in frames with 2 m < n_frames.
    :return: (alpha, standard error) per lag; nan where an increment is not positive; error 0 for one atom.
    """
    def exponent(msd):
        with np.errstate(divide='ignore', invalid='ignore'):
            return np.log2((msd[2 * lags] - msd[lags]) / (msd[lags] - msd[lags // 2]))

    n_atoms = msd_A2.shape[1]
    alpha = exponent(msd_A2.mean(axis=1))
    if n_atoms == 1:
        return alpha, np.zeros_like(alpha)
    leave_one_out = (msd_A2.sum(axis=1, keepdims=True) - msd_A2) / (n_atoms - 1)
    jackknife = exponent(leave_one_out)
    error = np.sqrt((n_atoms - 1) / n_atoms * ((jackknife - jackknife.mean(axis=1, keepdims=True))**2).sum(axis=1))
    return alpha, error


def _diffusive_start_lag(msd_A2, frame_interval_ps, slope_tolerance):
    """First lag from which alpha stays near 1 up to PERSISTENCE_FACTOR times that lag, if the line dominates.

    :raises NotDiffusiveError: with the best start: the dominance failure's lag, or the lag whose worst
        |alpha - 1| / tolerance over its horizon is smallest.
    """
    end_lag = msd_A2.shape[0] - 1
    horizon_ps = end_lag * frame_interval_ps / (2 * PERSISTENCE_FACTOR)
    lags = 2 * np.unique(np.round(2.0**(np.arange(0, np.log2(max(end_lag, 2)) * 4 + 1) / 4)).astype(int))
    lags = lags[2 * lags <= end_lag]
    alpha, alpha_error = _increment_exponents(msd_A2, lags)
    tolerance = np.clip(NOISE_SIGMAS * alpha_error, slope_tolerance, MAX_SLOPE_TOLERANCE)
    deviation = np.nan_to_num(np.abs(alpha - 1.0) / tolerance, nan=np.inf)
    mean_msd = msd_A2.mean(axis=1)
    best_lag, best_deviation = int(lags[0]) if lags.size else 1, np.inf
    for position, lag in enumerate(lags):
        horizon = PERSISTENCE_FACTOR * lag
        if 2 * horizon > end_lag:
            break
        worst = deviation[position:][lags[position:] <= horizon].max()
        if worst < best_deviation:
            best_lag, best_deviation = int(lag), worst
        if worst <= 1.0:
            growth = (mean_msd[end_lag] - mean_msd[lag]) / (end_lag - lag) * end_lag
            offset = mean_msd[end_lag] - growth
            if growth < DOMINANCE * offset:
                raise NotDiffusiveError(
                    f'the MSD grows linearly from {lag * frame_interval_ps:g} ps on, but by the window end its '
                    f'linear part ({growth:.3g} A^2) is below {DOMINANCE:g} times its offset ({offset:.3g} A^2): '
                    'the carriers barely leave their cages; run longer or hotter, or give the fit window explicitly',
                    best_start_lag=lag,
                )
            return int(lag)
    raise NotDiffusiveError(
        f'the MSD never grows linearly (increment exponent within max({slope_tolerance}, {NOISE_SIGMAS:g} sigma) '
        f'of 1) for a factor {PERSISTENCE_FACTOR:g} in time before {horizon_ps:g} ps: run longer or hotter, or give '
        'the fit window explicitly',
        best_start_lag=best_lag,
    )


def fit_diffusivity(per_atom_msd_A2, frame_interval_ps, *, n_dimensions=3, fit_start_ps=None, fit_end_ps=None,
                    end_fraction=0.5, slope_tolerance=0.15):
    """Diffusion coefficient from per-atom MSDs by random-walk GLS (module docstring).

    :param per_atom_msd_A2: MSD of each atom over all time origins, shape (n_frames, n_atoms),
        Angstrom^2, summed over the ``n_dimensions`` directions analysed (for a tracer D from
        :func:`aiida_lps.analysis.msd.tracer_msd` use ``msd.sum(axis=-1)``; for D_x use ``msd[..., 0]``
        with ``n_dimensions=1``; the collective MSD is a single series, shape (n_frames, 1)).
    :param frame_interval_ps: time between stored frames, ps.
    :param n_dimensions: number of directions d in MSD = 2 d D t.
    :param fit_start_ps: fixed window start, ps, or None for automatic (:func:`select_fit_window`).
    :param fit_end_ps: fixed window end, ps, or None for ``end_fraction`` of the trajectory.
    :param end_fraction: automatic window end as a fraction of the trajectory length.
    :param slope_tolerance: accepted |increment exponent - 1| for the automatic window start.
    :return: a :class:`DiffusionFit`.
    """
    per_atom_msd_A2 = np.asarray(per_atom_msd_A2, dtype=float)
    if per_atom_msd_A2.ndim != 2:
        raise ValueError(f'per_atom_msd_A2 must have shape (n_frames, n_atoms), got {per_atom_msd_A2.shape}')
    n_frames, n_atoms = per_atom_msd_A2.shape
    start_lag, end_lag = select_fit_window(
        per_atom_msd_A2, frame_interval_ps, fit_start_ps=fit_start_ps, fit_end_ps=fit_end_ps,
        end_fraction=end_fraction, slope_tolerance=slope_tolerance,
    )
    lags = np.unique(np.round(np.geomspace(start_lag, end_lag, MAX_FIT_POINTS)).astype(int))
    slope_weights, intercept_weights, slope_variance_unit = _gls_weights(lags, n_frames, frame_interval_ps)
    per_atom_slopes = slope_weights @ per_atom_msd_A2[lags]
    slope = per_atom_slopes.mean()
    intercept = intercept_weights @ per_atom_msd_A2[lags].mean(axis=1)
    diffusivity = slope / (2 * n_dimensions)
    step_variance = 2.0 * abs(diffusivity) * frame_interval_ps
    model_variance = slope_variance_unit * n_dimensions * step_variance**2 / n_atoms / (2 * n_dimensions)**2
    if n_atoms > 1:
        atom_variance = per_atom_slopes.var(ddof=1) / n_atoms / (2 * n_dimensions)**2
        dispersion_ratio = atom_variance / model_variance if model_variance > 0 else np.inf
    else:
        atom_variance, dispersion_ratio = 0.0, np.nan
    return DiffusionFit(
        diffusivity_A2_per_ps=float(diffusivity),
        diffusivity_err_A2_per_ps=float(np.sqrt(max(model_variance, atom_variance))),
        intercept_A2=float(intercept),
        fit_start_ps=start_lag * frame_interval_ps,
        fit_end_ps=end_lag * frame_interval_ps,
        n_atoms=n_atoms,
        n_dimensions=n_dimensions,
        dispersion_ratio=float(dispersion_ratio),
    )


def fit_diffusivity_best_window(per_atom_msd_A2, frame_interval_ps, **fit_options):
    """:func:`fit_diffusivity`, or, when the automatic window cannot be justified, the fit over the best window.

    The best window starts at ``NotDiffusiveError.best_start_lag`` (module docstring) and ends where the
    automatic one would; the result is flagged ``is_diffusive=False`` with the reason. Its D and error are those
    of the GLS fit over that window: a number to look at, not a diffusion coefficient the rules vouch for.

    :param per_atom_msd_A2: as for :func:`fit_diffusivity`, shape (n_frames, n_atoms), Angstrom^2.
    :param frame_interval_ps: time between stored frames, ps.
    :param fit_options: keyword arguments of :func:`fit_diffusivity`.
    :return: a :class:`DiffusionFit`.
    """
    try:
        return fit_diffusivity(per_atom_msd_A2, frame_interval_ps, **fit_options)
    except NotDiffusiveError as exception:
        best = fit_diffusivity(per_atom_msd_A2, frame_interval_ps,
                               **{**fit_options, 'fit_start_ps': exception.best_start_lag * frame_interval_ps})
        return dataclasses.replace(best, is_diffusive=False, not_diffusive_reason=str(exception))


def _gls_weights(lags, n_frames, frame_interval_ps):
    """GLS rows for slope and intercept of a line through MSD(lags), and the slope variance per unit scale.

    :return: (slope_weights (n_lags,) in 1/ps, intercept_weights (n_lags,), slope variance for unit
        step variance in (1/ps)^2).
    """
    covariance = random_walk_msd_covariance(lags, n_frames)
    # Solve with the correlation matrix: the covariance spans many orders of magnitude, its correlation
    # matrix is well conditioned (condition number ~1e6 for 100 lags).
    standard_deviation = np.sqrt(np.diag(covariance))
    correlation = covariance / np.outer(standard_deviation, standard_deviation)
    design = np.column_stack([lags * frame_interval_ps, np.ones(lags.size)])
    inverse_covariance_design = np.linalg.solve(correlation, design / standard_deviation[:, None])
    inverse_covariance_design /= standard_deviation[:, None]
    parameter_covariance = np.linalg.inv(design.T @ inverse_covariance_design)
    weights = parameter_covariance @ inverse_covariance_design.T
    return weights[0], weights[1], parameter_covariance[0, 0]


@dataclass(frozen=True)
class MatrixFlowCheck:
    """Verdict on whether the thiophosphate matrix (P, S) diffuses during the run.

    :param is_flowing: True when at least one framework species both keeps moving (D significantly
        above 0) and has left its site (MSD above the threshold).
    :param reason: one line per species with the numbers behind the verdict.
    :param fits: the GLS fit per species symbol.
    :param final_msd_A2: atom-averaged MSD at the end of the fit window per species, Angstrom^2.
    """

    is_flowing: bool
    reason: str
    fits: dict
    final_msd_A2: dict


def matrix_flow_thresholds_A2(symbols, *, site_threshold_A2=SITE_THRESHOLD_A2, bond_length_A=PS_BOND_LENGTH_A):
    """MSD above which an atom of each framework species has left its site, Angstrom^2.

    P (a tetrahedron centre) and any other species: ``site_threshold_A2``. S sits on a PS4 unit that may rotate
    freely about its P without any flow; over uncorrelated orientations the S MSD from rotation alone is
    2 r^2 (8.4 A^2 for r = 2.05 A, at most 4 r^2), so S gets ``site_threshold_A2 + 2 r^2``.

    :param symbols: framework species symbols.
    :param site_threshold_A2: threshold of a species that cannot rotate away, Angstrom^2.
    :param bond_length_A: P-S bond length r, Angstrom.
    :return: dict symbol -> threshold, Angstrom^2.
    """
    rotation_A2 = 2.0 * bond_length_A**2
    return {symbol: site_threshold_A2 + (rotation_A2 if symbol == 'S' else 0.0) for symbol in symbols}


def assess_matrix_flow(framework_msd_A2, frame_interval_ps, *, msd_thresholds_A2=None, significance=3.0,
                       start_fraction=0.1, end_fraction=0.5):
    """Decide whether framework species (P, S) flow, the sign that a temperature is too high.

    A species flows when its MSD at the end of the window exceeds its threshold (larger than the vibrational
    plateau and, for S, than the bounded MSD of a freely rotating PS4: :func:`matrix_flow_thresholds_A2`) and
    is still growing, i.e. its GLS diffusion coefficient over [start_fraction, end_fraction] of the trajectory
    exceeds ``significance`` standard errors. Rotation of PS4 tetrahedra about fixed P, or a slow creep below
    the threshold, does not count; P moving off its site does.

    :param framework_msd_A2: per-atom 3-D MSDs, mapping species symbol -> array (n_frames, n_atoms),
        Angstrom^2, drift-corrected (for example ``tracer_msd(...).sum(axis=-1)``).
    :param frame_interval_ps: time between stored frames, ps.
    :param msd_thresholds_A2: species -> MSD above which an atom has left its site, Angstrom^2; default
        :func:`matrix_flow_thresholds_A2`.
    :param significance: number of standard errors by which D must exceed 0.
    :param start_fraction: window start as a fraction of the trajectory.
    :param end_fraction: window end as a fraction of the trajectory.
    :return: a :class:`MatrixFlowCheck`.
    """
    thresholds = msd_thresholds_A2 or matrix_flow_thresholds_A2(framework_msd_A2)
    fits, final_msd, lines, flowing = {}, {}, [], False
    for symbol, per_atom_msd in framework_msd_A2.items():
        per_atom_msd = np.asarray(per_atom_msd, dtype=float)
        duration_ps = (per_atom_msd.shape[0] - 1) * frame_interval_ps
        fit = fit_diffusivity(per_atom_msd, frame_interval_ps, fit_start_ps=start_fraction * duration_ps,
                              fit_end_ps=end_fraction * duration_ps)
        msd_end = float(per_atom_msd.mean(axis=1)[int(round(fit.fit_end_ps / frame_interval_ps))])
        growing = fit.diffusivity_A2_per_ps > significance * fit.diffusivity_err_A2_per_ps
        displaced = msd_end > thresholds[symbol]
        flowing |= growing and displaced
        lines.append(
            f'{symbol}: {"flows" if growing and displaced else "static"} (MSD {msd_end:.3g} A^2 '
            f'{">" if displaced else "<="} {thresholds[symbol]:.3g} A^2; D = {fit.diffusivity_A2_per_ps:.3g} +- '
            f'{fit.diffusivity_err_A2_per_ps:.2g} A^2/ps, {"" if growing else "not "}> {significance:g} sigma)'
        )
        fits[symbol], final_msd[symbol] = fit, msd_end
    return MatrixFlowCheck(is_flowing=flowing, reason='; '.join(lines), fits=fits, final_msd_A2=final_msd)
