"""Plots for the conductivity analysis: MSD with its fit window, and the Arrhenius plot.

matplotlib is imported inside each function with the non-interactive 'Agg' backend.
"""
import numpy as np

__all__ = ('plot_arrhenius', 'plot_md_validation', 'plot_msd')


def _new_axes():
    """A fresh (Figure, Axes) pair drawn with the Agg backend, outside pyplot's global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.0, 3.8), layout='constrained')
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _finish(figure, path):
    """Write the figure to ``path`` (PNG) when given; return it."""
    if path is not None:
        figure.savefig(path, dpi=150)
    return figure


def plot_msd(time_ps, msd_A2, fit=None, *, labels=None, path=None):
    """MSD curves against lag time, with the fitted line over its window.

    :param time_ps: lag times, shape (n_lags,), ps.
    :param msd_A2: MSD, shape (n_lags,) or (n_lags, n_curves) (for example one column per species or
        direction), Angstrom^2.
    :param fit: a :class:`aiida_lps.analysis.diffusion.DiffusionFit` for the first curve, or None.
    :param labels: legend label per curve, or None.
    :param path: PNG file to write, or None.
    :return: the matplotlib Figure.
    """
    figure, axes = _new_axes()
    msd_A2 = np.asarray(msd_A2, dtype=float).reshape(len(time_ps), -1)
    labels = labels or [None] * msd_A2.shape[1]
    for curve, label in zip(msd_A2.T, labels):
        axes.plot(time_ps, curve, label=label)
    if fit is not None:
        window = np.linspace(fit.fit_start_ps, fit.fit_end_ps, 50)
        axes.axvspan(fit.fit_start_ps, fit.fit_end_ps, color='0.9', zorder=0)
        axes.plot(window, fit.fitted_msd_A2(window), 'k--',
                  label=f'D = {fit.diffusivity_A2_per_ps:.3g} $\\pm$ {fit.diffusivity_err_A2_per_ps:.2g} $\\AA^2$/ps')
    axes.set_xlabel('lag time (ps)')
    axes.set_ylabel(r'MSD ($\AA^2$)')
    if fit is not None or labels[0] is not None:
        axes.legend()
    return _finish(figure, path)


def plot_md_validation(result: dict, *, path=None):
    """The carrier MSD of the MLIP and the DFT run of one cell in one plot: each curve labelled with its D, the title
    with D_MLIP / D_DFT, its error and the runs' mean temperatures.

    :param result: a :func:`aiida_lps.analysis.md_validation.compare_diffusion` result: ``lag_ps`` (n_lags,), ps;
        ``msd_A2`` {mlip, dft} (n_lags,), Angstrom^2; per run ``diffusivity_A2_per_ps`` and its error, Angstrom^2/ps,
        and ``temperature_K``, K; ``ratio`` and ``ratio_err`` (None when a D is not positive).
    :param path: PNG file to write, or None.
    :return: the matplotlib Figure.
    """
    runs = (('mlip', 'MLIP'), ('dft', 'DFT (pw.x)'))
    labels = [f'{title}: D = {result[name]["diffusivity_A2_per_ps"]:.3g} $\\pm$ '
              f'{result[name]["diffusivity_err_A2_per_ps"]:.2g} $\\AA^2$/ps' for name, title in runs]
    figure = plot_msd(result['lag_ps'], np.column_stack([result['msd_A2'][name] for name, _ in runs]), labels=labels)
    ratio = ('undefined (a D is not positive)' if result['ratio'] is None
             else f'{result["ratio"]:.3g} $\\pm$ {result["ratio_err"]:.2g}')
    temperatures = ' and '.join(f'{result[name]["temperature_K"]:.0f}' for name, _ in runs)
    figure.axes[0].set_title(f'$D_{{MLIP}} / D_{{DFT}}$ = {ratio} ({temperatures} K)', fontsize=10)
    return _finish(figure, path)


def plot_arrhenius(temperatures_K, conductivities_S_per_cm, conductivity_errs_S_per_cm, fit, *,
                   extrapolate_to_K=300.0, confidence=0.95, path=None):
    """Arrhenius plot of sigma T (log scale) against 1000/T with error bars, fit and extrapolation.

    The extrapolated point carries its log-normal interval (Student t, n - 2 degrees of freedom;
    :meth:`aiida_lps.analysis.arrhenius.ArrheniusFit.conductivity_interval_S_per_cm`), not a symmetric error.

    :param temperatures_K: measured temperatures of the points, shape (n,), K.
    :param conductivities_S_per_cm: conductivities, shape (n,), S/cm.
    :param conductivity_errs_S_per_cm: standard errors, shape (n,), S/cm.
    :param fit: an :class:`aiida_lps.analysis.arrhenius.ArrheniusFit` of these data.
    :param extrapolate_to_K: temperature, K, to which the line is extended and marked with its interval.
    :param confidence: two-sided confidence level of the intervals of E_A and of the extrapolated sigma.
    :param path: PNG file to write, or None.
    :return: the matplotlib Figure.
    """
    figure, axes = _new_axes()
    temperatures_K = np.asarray(temperatures_K, dtype=float)
    sigma_T = np.asarray(conductivities_S_per_cm) * temperatures_K
    sigma_T_err = np.asarray(conductivity_errs_S_per_cm) * temperatures_K
    axes.errorbar(1000.0 / temperatures_K, sigma_T, yerr=sigma_T_err, fmt='o', capsize=3, label='MD')
    line_K = np.linspace(temperatures_K.max(), extrapolate_to_K, 100)
    line = fit.conductivity_S_per_cm(line_K) * line_K
    energy_low, energy_high = fit.activation_energy_interval_eV(confidence)
    axes.plot(1000.0 / line_K, line, 'k--',
              label=f'$E_A$ = {fit.activation_energy_eV:.3f} eV [{energy_low:.2f}, {energy_high:.2f}]')
    end = fit.conductivity_S_per_cm(extrapolate_to_K) * extrapolate_to_K
    low, high = np.array(fit.conductivity_interval_S_per_cm(extrapolate_to_K, confidence)) * extrapolate_to_K
    # the axis spans the points and the line with two decades' margin: the log-t interval of a few noisy points
    # can span hundreds of decades (or overflow), and is drawn up to the axis' edge
    shown = np.concatenate([sigma_T, line, [end]])
    shown = shown[np.isfinite(shown) & (shown > 0)]
    y_min, y_max = shown.min() / 100.0, shown.max() * 100.0
    axes.set_ylim(y_min, y_max)
    axes.errorbar([1000.0 / extrapolate_to_K], [end], fmt='s', color='C3', capsize=3,
                  yerr=[[end - max(low, y_min / 10.0)], [min(high, y_max * 10.0) - end]],
                  label=f'$\\sigma$({extrapolate_to_K:g} K) = {end / extrapolate_to_K:.2g} S/cm '
                        f'[{low / extrapolate_to_K:.1g}, {high / extrapolate_to_K:.1g}]')
    axes.set_yscale('log')
    axes.set_xlabel('1000 / T (1/K)')
    axes.set_ylabel(r'$\sigma T$ (S K / cm)')
    axes.set_title(f'{100 * confidence:g} % intervals, Student t with {fit.degrees_of_freedom} dof', fontsize=9)
    axes.legend(fontsize=8)
    return _finish(figure, path)
