"""Quantum ESPRESSO from Debian's packages, and PBE ultrasoft pseudopotentials generated with its ``ld1.x``.

The ``ld1.x`` input cards in ``pseudo_cards/`` are the "low" variants of pslibrary 1.0.0 (A. Dal Corso,
Comput. Mater. Sci. 95, 337 (2014), https://github.com/dalcorso/pslibrary). Suggested cutoffs from the generated
headers: Li 50/325 Ry, P 34/138 Ry, S 39/157 Ry (wavefunctions/density); forces converge to about 1e-3 eV/Angstrom
at 50/400 Ry.
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import tempfile

#: pw.x and ld1.x with a threaded BLAS; Chromium opens ``aiida-lps report`` pages headless in the report test.
DEBIAN_PACKAGES = ('quantum-espresso', 'libopenblas0-pthread', 'chromium')
PSEUDO_FAMILY_LABEL = 'LPS/pslibrary-1.0.0/PBE/US'
PSEUDO_CARDS = pathlib.Path(__file__).parent / 'pseudo_cards'

#: Recommended cutoffs (Ry) per stringency, measured against 60/480 Ry on three LPS cells (docs/training.md, "Label
#: convergence"): ``normal`` forces within 0.001 eV/Angstrom RMS; ``workstation`` within 0.01 (the labels of the
#: workstation protocols); ``fast`` 0.03-0.04 off, for tests and demonstrations only.
CUTOFFS_RY = {
    'normal': {'cutoff_wfc': 50.0, 'cutoff_rho': 400.0},
    'workstation': {'cutoff_wfc': 40.0, 'cutoff_rho': 320.0},
    'fast': {'cutoff_wfc': 30.0, 'cutoff_rho': 240.0},
}


def missing_debian_packages(packages=DEBIAN_PACKAGES) -> list[str]:
    """Names of the Debian ``packages`` (default ``DEBIAN_PACKAGES``) that are not installed."""
    missing = []
    for package in packages:
        result = subprocess.run(
            ['dpkg-query', '-W', '-f=${Status}', package], capture_output=True, text=True, check=False
        )
        if 'install ok installed' not in result.stdout:
            missing.append(package)
    return missing


def ensure_debian_packages() -> str:
    """Install the missing ``DEBIAN_PACKAGES`` (Quantum ESPRESSO, Chromium) when run as root; return a status line.

    :raises RuntimeError: when packages are missing and this process cannot install them.
    """
    if shutil.which('dpkg-query') is None:
        if shutil.which('pw.x') and shutil.which('ld1.x'):
            return f'pw.x and ld1.x found at {shutil.which("pw.x")} (not a Debian system)'
        raise RuntimeError('pw.x and ld1.x not found: install Quantum ESPRESSO (6.7 or newer) and put it on PATH')
    missing = missing_debian_packages()
    if not missing:
        return 'Debian packages present: ' + ', '.join(DEBIAN_PACKAGES)
    if os.geteuid() != 0:
        raise RuntimeError(f'missing Debian packages; run: sudo apt-get install -y {" ".join(missing)}')
    apt_install(missing)
    return 'installed Debian packages: ' + ', '.join(missing)


def apt_install(packages: list[str]) -> None:
    """``apt-get update`` then ``apt-get install`` ``packages`` (as root)."""
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    subprocess.run(['apt-get', 'update', '-qq'], check=True, env=env)
    subprocess.run(['apt-get', 'install', '-y', '-qq', *packages], check=True, env=env)


def without_generation_date(upf: str) -> str:
    """``upf`` with ld1.x's generation date blanked, so that every machine generates the same file (and md5).

    The date is the only part of the file that differs between two generations with the same ld1.x; with it, a
    training campaign continued on a fresh machine could not tell its labels' pseudopotentials from new ones.
    """
    upf = re.sub(r'(Generation date:).*', r'\1  (blanked by aiida-lps)', upf, count=1)
    return re.sub(r'(<PP_HEADER[^>]*?\sdate=)"[^"]*"', r'\1""', upf, count=1)


def generate_pseudopotentials(folder: pathlib.Path) -> list[pathlib.Path]:
    """Run ``ld1.x`` on every card in ``pseudo_cards/`` inside ``folder``; return the UPF paths (date blanked).

    :raises RuntimeError: with the tail of ld1.x's output when a generation fails.
    """
    ld1 = shutil.which('ld1.x')
    if ld1 is None:
        raise RuntimeError('ld1.x not found: run `aiida-lps setup` as root, or install quantum-espresso')
    upfs = []
    for card in sorted(PSEUDO_CARDS.glob('*.in')):
        with card.open() as stdin:
            result = subprocess.run([ld1], stdin=stdin, cwd=folder, capture_output=True, text=True, check=False)
        upf = folder / f'{card.stem}.UPF'
        if result.returncode != 0 or not upf.exists():
            tail = '\n'.join((result.stdout + result.stderr).splitlines()[-5:])
            raise RuntimeError(f'ld1.x failed on {card.name}:\n{tail}')
        upf.write_text(without_generation_date(upf.read_text()))
        upfs.append(upf)
    return upfs


def ensure_pseudo_family(label: str = PSEUDO_FAMILY_LABEL) -> str:
    """Create the aiida-pseudo family of generated Li, P, S pseudopotentials with recommended cutoffs.

    Needs a loaded AiiDA profile. Leaves an existing family untouched. The generated files carry no date, so the same
    ld1.x gives the same md5 on every machine. :return: a status line.
    """
    from aiida.orm import QueryBuilder
    from aiida.plugins import DataFactory, GroupFactory

    family_class = GroupFactory('pseudo.family.cutoffs')
    existing = QueryBuilder().append(family_class, filters={'label': label}).first(flat=True)
    if existing is not None:
        added = _set_missing_cutoffs(existing)
        return (f'pseudopotential family {label} exists ({len(existing.nodes)} pseudos), '
                + (f'added stringencies {", ".join(added)}' if added else 'unchanged'))
    with tempfile.TemporaryDirectory() as folder:
        upf_folder = pathlib.Path(folder) / 'upf'
        upf_folder.mkdir()
        work = pathlib.Path(folder) / 'work'
        work.mkdir()
        for upf in generate_pseudopotentials(work):
            shutil.copy(upf, upf_folder / upf.name)
        family = family_class.create_from_folder(
            upf_folder,
            label,
            description='PBE ultrasoft Li, P, S from pslibrary 1.0.0 "low" cards, generated with ld1.x by aiida-lps',
            pseudo_type=DataFactory('pseudo.upf'),
        )
    added = _set_missing_cutoffs(family)
    family.set_default_stringency('normal')
    elements = sorted(pseudo.element for pseudo in family.nodes)
    return f'created pseudopotential family {label} ({", ".join(elements)}; stringencies {", ".join(added)})'


def _set_missing_cutoffs(family) -> list[str]:
    """Give ``family`` the stringencies of ``CUTOFFS_RY`` it lacks (a family made by an older aiida-lps).

    Returns the names of the stringencies added.
    """
    elements = {pseudo.element for pseudo in family.nodes}
    missing = [stringency for stringency in CUTOFFS_RY if stringency not in family.get_cutoff_stringencies()]
    for stringency in missing:
        family.set_cutoffs({element: dict(CUTOFFS_RY[stringency]) for element in elements}, stringency, unit='Ry')
    return missing
