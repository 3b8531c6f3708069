"""Calcfunction: stacked bars of the motif fractions (by P) of an ensemble, both assignments side by side, as PNG."""
import io

from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.calculations.functions.ensemble_motif_fractions import ASSIGNMENTS
from aiida_lps.plotting.glass import plot_motif_fractions

__all__ = ('plot_motif_fractions_png',)


@calcfunction
def plot_motif_fractions_png(motif_fractions: orm.Dict) -> orm.SinglefileData:
    """``motif_fractions.png`` of an ``ensemble_motif_fractions`` output: mean fraction per motif with the
    ensemble standard deviation, one bar per assignment (``by_distance``, ``by_connectivity``)."""
    structures = motif_fractions['structures'].values()
    image = io.BytesIO()
    plot_motif_fractions({name: [entry[name] for entry in structures] for name in ASSIGNMENTS}, path=image)
    image.seek(0)
    return orm.SinglefileData(image, filename='motif_fractions.png')
