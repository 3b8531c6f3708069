"""Calcfunction: energy above hull against x coloured by the most similar reference crystal (article Fig. 7a), PNG."""
import io

from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.plotting.fingerprints import plot_hull_similarity

__all__ = ('plot_hull_similarity_png',)


@calcfunction
def plot_hull_similarity_png(table: orm.Dict, similarity: orm.Dict) -> orm.SinglefileData:
    """``hull_similarity.png`` of a ``composition_hull`` table and a ``li_environment_similarity`` result, for the
    structures in both."""
    labels = sorted(set(table['structures']) & set(similarity['structures']))
    rows = [table['structures'][label] for label in labels]
    image = io.BytesIO()
    plot_hull_similarity([row['x'] for row in rows], [row['e_above_hull_meV_per_atom'] for row in rows],
                         [similarity['structures'][label]['most_similar'] for label in labels], path=image)
    image.seek(0)
    return orm.SinglefileData(image, filename='hull_similarity.png')
