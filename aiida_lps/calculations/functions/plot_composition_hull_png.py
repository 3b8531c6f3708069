"""Calcfunction: formation energy against x with the lower convex hull (article Fig. 5) as PNG."""
import io

from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.hull import MiscibilityGap, analyse_hull
from aiida_lps.plotting.hull import plot_formation_energy_hull

__all__ = ('plot_composition_hull_png',)


@calcfunction
def plot_composition_hull_png(table: orm.Dict) -> orm.SinglefileData:
    """``hull.png`` of a ``composition_hull`` output: every structure by its ``kind`` ('crystal', 'ga'), crystals
    annotated with their formula, the hull line and the miscibility gaps."""
    rows = list(table['structures'].values())
    hull = analyse_hull([row['x'] for row in rows], [row['formation_energy_meV_per_atom'] / 1000.0 for row in rows])
    gaps = [MiscibilityGap(gap['x_low'], gap['x_high'], tuple(gap['sampled_x']),
                           gap['lowest_e_above_hull_meV_per_atom'] / 1000.0) for gap in table['miscibility_gaps']]
    image = io.BytesIO()
    plot_formation_energy_hull(
        hull, [row['kind'] for row in rows], [row['formula'] if row['kind'] == 'crystal' else None for row in rows],
        gaps, path=image,
    )
    image.seek(0)
    return orm.SinglefileData(image, filename='hull.png')
