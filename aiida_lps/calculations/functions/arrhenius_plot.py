"""Calcfunction: the Arrhenius plot (PNG) of an ``arrhenius_fit`` result."""
import io

from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.conductivity_summary import arrhenius_fit_from_summary
from aiida_lps.plotting.conductivity import plot_arrhenius


@calcfunction
def arrhenius_plot(result: orm.Dict) -> orm.SinglefileData:
    """sigma T against 1000/T for the fitted temperatures, with the fit extrapolated to 300 K, as ``arrhenius.png``."""
    figure = plot_arrhenius(result['temperatures_K'], result['conductivities_S_per_cm'],
                            result['conductivity_errs_S_per_cm'], arrhenius_fit_from_summary(result.get_dict()),
                            extrapolate_to_K=result['room_temperature_K'])
    image = io.BytesIO()
    figure.savefig(image, format='png', dpi=150)
    image.seek(0)
    return orm.SinglefileData(image, filename='arrhenius.png')
