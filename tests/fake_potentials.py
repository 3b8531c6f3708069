"""Potential nodes for tests that run no code: valid inputs of builders and work chains, not usable potentials."""
import io

from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.data.snap_potential import SnapPotentialData

#: The header of a GAP xml for Li, P and S (``parse_gap_xml_header`` reads the label and the descriptor's Z).
HEADER_ONLY_GAP_XML = ('<Potential><GAP_params label="GAP_header_only" gap_version="1"><gpSparse><gpCoordinates>'
                       '<descriptor>soap cutoff=5.0 n_max=2 l_max=2 atom_sigma=0.5 Z=3 species_Z={3 15 16}'
                       '</descriptor></gpCoordinates></gpSparse></GAP_params></Potential>\n')


def zero_snap() -> SnapPotentialData:
    """A SNAP node for Li, P and S with one zero coefficient each."""
    snapcoeff = '3 1\n' + ''.join(f'{symbol} 0.5 1.0\n0.0\n' for symbol in ('Li', 'P', 'S'))
    return SnapPotentialData(snapcoeff, 'rcutfac 4.0\ntwojmax 2\n')


def header_only_gap() -> GapPotentialData:
    """A GAP node for Li, P and S that has a header and no sparse points."""
    return GapPotentialData(io.BytesIO(HEADER_ONLY_GAP_XML.encode()))
