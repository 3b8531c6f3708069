"""``GapPotentialData``: a Gaussian Approximation Potential as one GAP xml file (``sparse_separate_file=F``).

The species, the ``IP GAP`` label, the descriptor hyperparameters and the training metrics are attributes, so
potentials can be found with ``QueryBuilder``; the md5 of the xml deduplicates imports (``get_or_create``). LAMMPS
runs it with ``pair_style quip`` (ML-QUIP, or aiida-lps's plugin), ASE with quippy.
"""
from __future__ import annotations

import hashlib
import io
import pathlib
import re
import tempfile

from collections.abc import Sequence

from aiida.orm import QueryBuilder, SinglefileData
from ase.data import atomic_numbers

from aiida_lps.data.potentials import PotentialData
from aiida_lps.potentials.lammps_input import quip_pair_commands

__all__ = ('GapPotentialData',)

FILENAME = 'gap.xml'


def parse_gap_xml_header(content: str) -> dict:
    """Return the GAP label and the species of a GAP xml.

    :param content: the xml text written by ``gap_fit``.
    :return: ``{'label': str, 'species': [chemical symbols, sorted by atomic number]}``; the species are those
        named by the descriptors (``Z``, ``Z1``, ``Z2``, ``species_Z``).
    """
    from ase.data import chemical_symbols

    label = re.search(r'<GAP_params\s[^>]*label="([^"]+)"', content)
    if label is None:
        raise ValueError('not a GAP potential: no <GAP_params label="..."> element in the xml')
    numbers = set()
    for descriptor in re.findall(r'<descriptor>([^<]*)', content):
        numbers.update(int(z) for z in re.findall(r'\bZ\d?=(\d+)', descriptor))
        for species_z in re.findall(r'species_Z=\{([^}]*)\}', descriptor):
            numbers.update(int(z) for z in species_z.split())
    return {'label': label.group(1), 'species': [chemical_symbols[z] for z in sorted(numbers)]}


class GapPotentialData(PotentialData, SinglefileData):
    """A GAP xml file with its species, label, hyperparameters and training metrics as attributes."""

    potential_kind = 'GAP'
    predicts_variance = True
    #: PotentialData adds no model fields to SinglefileData's; aiida-core's ProjectionData skips the check alike.
    _SKIP_MODEL_INHERITANCE_CHECK = True

    def __init__(self, file, *, hyperparameters: dict | None = None, metrics: dict | None = None, **kwargs):
        """Store a GAP xml.

        :param file: path or binary file-like of the xml written by gap_fit with ``sparse_separate_file=F``.
        :param hyperparameters: descriptor and regularisation settings used in the fit (cutoffs in Angstrom).
        :param metrics: training metrics, e.g. ``{'energy_rmse_meV_per_atom': ..., 'force_rmse_eV_per_A': ...}``.
        """
        content = _read_bytes(file)
        header = parse_gap_xml_header(content.decode())
        super().__init__(io.BytesIO(content), filename=FILENAME, **kwargs)
        self.base.attributes.set('md5', hashlib.md5(content).hexdigest())
        self.base.attributes.set('species', header['species'])
        self.base.attributes.set('potential_label', header['label'])
        self.base.attributes.set('hyperparameters', hyperparameters or {})
        self.base.attributes.set('metrics', metrics or {})

    @classmethod
    def get_or_create(cls, file, **kwargs) -> GapPotentialData:
        """Return the stored potential with the same xml md5 if one exists, else a new unstored node."""
        md5 = hashlib.md5(_read_bytes(file)).hexdigest()
        query = QueryBuilder().append(cls, filters={'attributes.md5': md5})
        existing = query.first(flat=True)
        return existing if existing is not None else cls(file, **kwargs)

    @property
    def potential_label(self) -> str:
        """The ``label`` of ``<GAP_params>``; QUIP's init string is ``IP GAP label=<this>``."""
        return self.base.attributes.get('potential_label')

    def lammps_files(self) -> dict[str, bytes]:
        """The xml as ``gap.xml``."""
        return {FILENAME: self.get_content(mode='rb')}

    def pair_commands(self, species: Sequence[str]) -> list[str]:
        """``pair_style quip`` reading ``gap.xml``; LAMMPS type t is ``species[t - 1]``."""
        return quip_pair_commands(FILENAME, self.potential_label, [atomic_numbers[symbol] for symbol in species])

    def get_calculator(self):
        """Return a quippy ``Potential`` (an ASE calculator) for this GAP."""
        return quip_calculator(self.get_content(mode='rb'), self.potential_label)

    def get_variance_calculator(self):
        """The quippy ``Potential`` with ``calc_args='local_gap_variance'``: per-atom predictive variance (eV^2)."""
        calculator = self.get_calculator()
        calculator.calc_args = 'local_gap_variance'
        return calculator


def quip_calculator(content: bytes, label: str):
    """A quippy ``Potential`` from GAP xml bytes; the xml goes to a temporary folder removed once quippy read it.

    :param label: the ``<GAP_params>`` label (see ``parse_gap_xml_header``).
    """
    from quippy.potential import Potential

    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / FILENAME
        path.write_bytes(content)
        return Potential(f'IP GAP label={label}', param_filename=str(path))


def _read_bytes(file) -> bytes:
    if isinstance(file, (str, pathlib.Path)):
        return pathlib.Path(file).read_bytes()
    content = file.read()
    file.seek(0)
    return content if isinstance(content, bytes) else content.encode()
