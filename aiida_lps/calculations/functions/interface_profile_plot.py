"""Calcfunction: the plot (PNG) of an interface's crystallinity profile F(z) with its domains."""
import io

from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.interface_domains import InterfaceDomains
from aiida_lps.plotting.interface import plot_crystallinity_profile


@calcfunction
def interface_profile_plot(profile: orm.ArrayData, domains: orm.Dict) -> orm.SinglefileData:
    """F(z) of an ``interface_crystallinity`` result against the height, domains shaded, as ``crystallinity.png``."""
    figure = plot_crystallinity_profile(profile.get_array('height_A'), profile.get_array('crystallinity'),
                                        InterfaceDomains.from_dict(domains.get_dict()))
    image = io.BytesIO()
    figure.savefig(image, format='png', dpi=150)
    image.seek(0)
    return orm.SinglefileData(image, filename='crystallinity.png')
