"""Calcfunction: the PNG of an iterative training run (RMSE against generation, force parity) as a node."""
import io

from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.plotting.training import plot_training_history


@calcfunction
def plot_training_history_png(rmse_table: orm.Dict, parity: orm.ArrayData, parity_label: orm.Str) -> orm.SinglefileData:
    """``training.png`` drawn from ``rmse_table['generations']`` and the force ``parity`` arrays (eV/Angstrom)."""
    arrays = {name: parity.get_array(name) for name in ('force_reference', 'force_predicted', 'force_element')}
    figure = plot_training_history(rmse_table['generations'], arrays, parity_label=parity_label.value)
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png', dpi=150)
    buffer.seek(0)
    return orm.SinglefileData(buffer, filename='training.png')


__all__ = ('plot_training_history_png',)
