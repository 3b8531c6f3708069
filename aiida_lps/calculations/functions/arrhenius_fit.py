"""Calcfunction: the Arrhenius fit of per-temperature conductivities, with E_A, sigma(300 K) and exclusions."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.conductivity_summary import summarise_arrhenius


@calcfunction
def arrhenius_fit(include_flowing: orm.Bool, include_not_diffusive: orm.Bool, include_phase_changed: orm.Bool,
                  **conductivities: orm.Dict) -> orm.Dict:
    """E_A (eV) and sigma(300 K) (S/cm) with standard errors and Student-t intervals from the weighted fit of
    ln(sigma T) against 1/T_measured over the temperatures whose MSD was diffusive, whose P/S matrix did not flow
    and whose crystal stayed in its phase (each flagged kind too when its ``include_*`` is true); excluded
    temperatures with reasons (``summarise_arrhenius``).

    :param conductivities: one ``conductivity_at_temperature`` result per temperature.
    :raises aiida_lps.analysis.arrhenius.TooFewTemperaturesError: with fewer than three usable temperatures.
    """
    return orm.Dict(summarise_arrhenius([node.get_dict() for node in conductivities.values()],
                                        include_flowing=include_flowing.value,
                                        include_not_diffusive=include_not_diffusive.value,
                                        include_phase_changed=include_phase_changed.value))
