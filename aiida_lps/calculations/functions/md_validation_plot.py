"""Calcfunction: the MSD curves of an MLIP and a DFT run in one plot (PNG)."""
import io

from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.plotting.conductivity import plot_msd

__all__ = ('md_validation_plot',)


@calcfunction
def md_validation_plot(result: orm.Dict) -> orm.SinglefileData:
    """Carrier MSD against lag time of both runs of a ``compare_md_diffusion`` result, with their D, as
    ``msd_mlip_dft.png``."""
    labels = [f'{title}: D = {result[name]["diffusivity_A2_per_ps"]:.3g} $\\pm$ '
              f'{result[name]["diffusivity_err_A2_per_ps"]:.2g} $\\AA^2$/ps'
              for name, title in (('mlip', 'MLIP'), ('dft', 'DFT (pw.x)'))]
    image = io.BytesIO()
    plot_msd(result['lag_ps'], list(zip(result['msd_A2']['mlip'], result['msd_A2']['dft'])), labels=labels, path=image)
    image.seek(0)
    return orm.SinglefileData(image, filename='msd_mlip_dft.png')
