"""Reference crystal structures of the Li2S-P2S5 (LPS) system.

The crystallographic facts (space group, lattice parameters, Wyckoff positions, literature
source and reference density) live in the table ``crystal_data.json`` next to this module;
this module only reads the table and expands the asymmetric units with
:func:`ase.spacegroup.crystal`. Every entry says where its numbers come from and of what
kind they are:

- ``experimental``: lattice and coordinates as refined in the cited diffraction study;
- ``experimental cell, computed coordinates``: the refined lattice of the cited study with
  fractional coordinates of an ordered PBE-relaxed structure;
- ``ordered model``: an ordered, charge-neutral representative of a phase whose Li sites are
  partially occupied in experiment, built on the published cell and anion framework;
- ``hypothetical model``: no refined structure was available to this package; the cell and
  coordinates are an idealised model (motifs with textbook bond lengths, packed at the given
  density, Li on the S Voronoi vertices as in the glass sampling of the thesis, section 5.3).
  These are starting points for a DFT relaxation, not crystallographic facts.

Every entry whose ``kind`` is a model also has ``model_reason``: whether a refined structure of the phase is
published (and where), and why its coordinates are not the ones encoded here. Six phases are models today:
alpha-Li3PS4 and Li7PS6 (published refinements with partially occupied Li sites, refined coordinates not
available to this package), P2S5 and LiPS3 (published refinements, coordinates not available to this package),
Li4P2S7 (no refined crystal structure published) and Li4P2S6 (ordered subcell of refinements with disordered or
twinned P2 pairs). A model is replaced by the refined structure once its
numbers (cell, space group, asymmetric unit, with the database id) are at hand.

Phases and main references (details per entry in the table):

- alpha-Li3PS4: Homma et al., J. Phys. Soc. Jpn. 79 (2010) Suppl. A, 90 (Pbcn cell, 906 K);
  bcc S sublattice and Cmcm anion framework after Kaup et al., J. Mater. Chem. A (2020).
- beta- and gamma-Li3PS4: Homma et al., Solid State Ionics 182 (2011) 53 (ICSD 180318 for gamma).
- Li7P3S11: Yamane et al., Solid State Ionics 178 (2007) 1163.
- Li4P2S6: Mercier et al., J. Solid State Chem. 43 (1982) 151; Dietrich et al., Chem. Mater. 28
  (2016) 8764; Ben Yahia et al., Z. Kristallogr. 238 (2023) 209.
- Li4P2S7: Holzwarth et al., J. Power Sources 196 (2011) 6870 (computed); Dietrich et al.,
  J. Mater. Chem. A 5 (2017) 18111 (glass-ceramic, structure not refined).
- LiPS3 (Li2P2S6): Dietrich et al., Inorg. Chem. 56 (2017) 6681.
- Li7PS6: Kong et al., Chem. Eur. J. 16 (2010) 5138 (HT argyrodite, F-43m).
- Li2S: antifluorite, Zintl et al., Z. Elektrochem. 40 (1934) 588.
- P2S5 (P4S10 molecules): Vos and Wiebenga, Acta Crystallogr. 8 (1955) 217 (cell used; refined coordinates
  not encoded).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import ase
from ase.spacegroup import crystal

__all__ = ('CrystalRecord', 'Site', 'get_crystal', 'get_crystal_record', 'list_crystals')

CRYSTAL_DATA_FILE = 'crystal_data.json'


@dataclass(frozen=True)
class Site:
    """One site of the asymmetric unit.

    :param element: chemical symbol.
    :param wyckoff: Wyckoff multiplicity and letter in the conventional cell, e.g. ``'8d'``.
    :param fractional: fractional coordinates (x, y, z) of the representative position.
    """

    element: str
    wyckoff: str
    fractional: tuple[float, float, float]


@dataclass(frozen=True)
class CrystalRecord:
    """Crystallographic description of one reference phase.

    :param name: phase name as used by :func:`get_crystal`.
    :param cell_formula: composition of the conventional cell that :func:`get_crystal` builds.
    :param spacegroup: space-group number (International Tables, standard setting) of the
        structure that is built; for ordered models of disordered phases this is the group of
        the ordered representative.
    :param cellpar: a, b, c in Angstrom and alpha, beta, gamma in degrees.
    :param sites: the asymmetric unit.
    :param kind: ``experimental``, ``experimental cell, computed coordinates``,
        ``ordered model`` or ``hypothetical model`` (see the module docstring).
    :param density_g_cm3: reference density in g/cm3 against which the built cell is checked.
    :param density_source: where :attr:`density_g_cm3` comes from.
    :param reference: literature reference(s) and database ids.
    :param notes: how the coordinates were obtained and which ordering was chosen.
    :param model_reason: for models (``kind`` ``ordered model`` or ``hypothetical model``), what is published
        about the phase's structure and why the published coordinates are not the ones encoded; empty for
        refined structures.
    """

    name: str
    cell_formula: str
    spacegroup: int
    cellpar: tuple[float, float, float, float, float, float]
    sites: tuple[Site, ...]
    kind: str
    density_g_cm3: float
    density_source: str
    reference: str
    notes: str
    model_reason: str = ''

    @property
    def is_model(self) -> bool:
        """Whether the coordinates are a model rather than a refinement (``kind`` ends in ``model``)."""
        return self.kind.endswith('model')


def _record_from_dict(name: str, entry: dict) -> CrystalRecord:
    sites = tuple(Site(site['element'], site['wyckoff'], tuple(site['fractional'])) for site in entry['sites'])
    return CrystalRecord(
        name=name,
        cell_formula=entry['cell_formula'],
        spacegroup=entry['spacegroup'],
        cellpar=tuple(entry['cellpar']),
        sites=sites,
        kind=entry['kind'],
        density_g_cm3=entry['density_g_cm3'],
        density_source=entry['density_source'],
        reference=entry['reference'],
        notes=entry['notes'],
        model_reason=entry.get('model_reason', ''),
    )


@lru_cache(maxsize=1)
def _crystal_table() -> dict[str, CrystalRecord]:
    text = resources.files(__package__).joinpath(CRYSTAL_DATA_FILE).read_text(encoding='utf-8')
    return {name: _record_from_dict(name, entry) for name, entry in json.loads(text).items()}


def list_crystals() -> list[str]:
    """Return the names of all reference phases, in the order of the data table."""
    return list(_crystal_table())


def get_crystal_record(name: str) -> CrystalRecord:
    """Return the crystallographic record of the phase ``name``.

    :param name: one of :func:`list_crystals`.
    :raises KeyError: if ``name`` is not a known phase; the message lists the valid names.
    """
    table = _crystal_table()
    try:
        return table[name]
    except KeyError:
        raise KeyError(f'unknown crystal {name!r}; valid names are: {", ".join(table)}') from None


def get_crystal(name: str) -> ase.Atoms:
    """Build the conventional cell of the reference phase ``name``.

    The returned :class:`ase.Atoms` is a new object on every call; ``atoms.info`` carries
    ``name``, ``kind`` and ``reference`` of the record.

    :param name: one of :func:`list_crystals`.
    :raises KeyError: if ``name`` is not a known phase.
    :raises ValueError: if the expanded cell does not have the composition recorded in the
        table (a corrupted entry).
    """
    record = get_crystal_record(name)
    atoms = crystal(
        symbols=[site.element for site in record.sites],
        basis=[site.fractional for site in record.sites],
        spacegroup=record.spacegroup,
        cellpar=list(record.cellpar),
        onduplicates='error',
    )
    if atoms.get_chemical_formula() != record.cell_formula:
        raise ValueError(
            f'crystal {name!r} expands to {atoms.get_chemical_formula()} but the table records '
            f'{record.cell_formula}; check the Wyckoff positions in {CRYSTAL_DATA_FILE}'
        )
    atoms.info.update(name=record.name, kind=record.kind, reference=record.reference)
    return atoms
