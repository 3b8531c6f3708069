"""Calcfunction: partial RDF panels (P-S, Li-S, S-S, P-P) of glasses against crystals (thesis Fig. 13) as PNG."""
import io

from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.calculations.functions.ensemble_partial_rdfs import partial_rdf_from_array_data
from aiida_lps.plotting.glass import plot_partial_rdfs

__all__ = ('plot_partial_rdfs_png',)


@calcfunction
def plot_partial_rdfs_png(**rdfs: orm.ArrayData) -> orm.SinglefileData:
    """``partial_rdfs.png``: one line per ``ensemble_partial_rdfs`` output, labelled by its keyword (link label)."""
    image = io.BytesIO()
    plot_partial_rdfs({label: partial_rdf_from_array_data(node) for label, node in rdfs.items()}, path=image)
    image.seek(0)
    return orm.SinglefileData(image, filename='partial_rdfs.png')
