"""Calcfunction: the MSD curves of an MLIP and a DFT run in one plot (PNG), with both D and their ratio."""
import io

from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.plotting.conductivity import plot_md_validation

__all__ = ('md_validation_plot',)


@calcfunction
def md_validation_plot(result: orm.Dict) -> orm.SinglefileData:
    """Carrier MSD (Angstrom^2) against lag time (ps) of both runs of a ``compare_md_diffusion`` result, each with its
    D (Angstrom^2/ps), and D_MLIP / D_DFT with its error in the title, as ``msd_mlip_dft.png``."""
    image = io.BytesIO()
    plot_md_validation(result.get_dict(), path=image)
    image.seek(0)
    return orm.SinglefileData(image, filename='msd_mlip_dft.png')
