"""aiida-lps: machine-learned interatomic potentials for Li2S-P2S5 (LPS) solid electrolytes in AiiDA.

The package has a pure-science core (``structures``, ``analysis``, ``sampling``) that needs only
numpy/scipy/ase, and a thin AiiDA layer (``data``, ``calculations``, ``parsers``, ``workflows``,
``cli``) that records provenance.
"""

__version__ = '0.1.0'
