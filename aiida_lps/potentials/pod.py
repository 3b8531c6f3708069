"""Linear POD potentials fitted with LAMMPS's ``fitpod`` and run with ``pair_style pod``.

POD (proper orthogonal descriptors): the energy of a configuration is a linear combination of per-element one-body
terms and two- and three-body descriptors built from orthogonalised radial bases (Bessel and inverse polynomials
on [rin, rcut]) and angular monomials. ``fitpod`` solves the regularised least-squares problem for the coefficients
on energies and forces; ``pair_style pod`` reads the same parameter file and the coefficient file.

fitpod's ridge term also shrinks the one-body coefficients, which have to carry the absolute DFT energy (about
-240 eV/atom for Li-P-S with our pseudopotentials): fitted as they are, the ridge pulls them towards zero and the
two- and three-body terms absorb the offset (validation force RMSE 5.7 eV/Angstrom against 0.16 with the shift,
docs/fast_potential.md). :func:`fitpod_input_files` therefore writes energies minus the sum of per-element
references (the isolated-atom energies when given, else zero) minus ``N e0``, with e0 the mean remaining energy per
atom of the training set, and :func:`pod_from_fitpod` adds reference + e0 back to each element's one-body coefficient:
the potential's energy is the fit's plus the subtracted baseline exactly. ``PodFitCalculation`` (``lps.pod_fit``)
runs fitpod on these files with the user's LAMMPS code.

Units: Angstrom, eV. N.-C. Nguyen, A. Rohskopf, J. Comput. Phys. 480, 112030 (2023); LAMMPS ML-POD package.
"""
from __future__ import annotations

import copy
import dataclasses
import io
from collections.abc import Sequence

import ase.io
import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from aiida_lps.potentials.lammps_input import pod_pair_commands
from aiida_lps.potentials.lammps_library import LammpsPairCalculator
from aiida_lps.potentials.reference_energies import fit_species, reference_baselines

__all__ = (
    'DEFAULT_POD_HYPERPARAMETERS',
    'PodModel',
    'merge_pod_hyperparameters',
    'FITPOD_COEFFICIENTS',
    'FITPOD_SCRIPT',
    'fitpod_input_files',
    'pod_from_fitpod',
    'pod_calculator',
    'read_pod_parameters',
)

#: Defaults, measured on the hot Li3PS4 training set of docs/fast_potential.md (507 coefficients for Li, P, S;
#: validation force RMSE 0.163 eV/Angstrom, 122 times the GAP's MD speed). ``rin`` and ``rcut`` in Angstrom; the
#: degrees and basis-function counts are fitpod's ``pod.txt`` keywords; four-body terms are off (0 radial functions).
#: ``regularisation`` is fitpod's ridge parameter (1e-10 interpolated 4 DFT cells, validation 0.39 eV/Angstrom;
#: 1e-4 generalises), ``energy_weight`` and ``force_weight`` its dimensionless weights of the energy (per atom) and
#: force residuals (fitpod's defaults).
DEFAULT_POD_HYPERPARAMETERS = {
    'rin': 1.0,
    'rcut': 5.0,
    'bessel_polynomial_degree': 4,
    'inverse_polynomial_degree': 8,
    'twobody_number_radial_basis_functions': 6,
    'threebody_number_radial_basis_functions': 5,
    'threebody_angular_degree': 4,
    'fourbody_number_radial_basis_functions': 0,
    'fourbody_angular_degree': 0,
    'regularisation': 1.0e-4,
    'energy_weight': 100.0,
    'force_weight': 1.0,
}
#: Settings written to ``pod.txt``; the rest go to fitpod's data file.
POD_FILE_KEYS = ('rin', 'rcut', 'bessel_polynomial_degree', 'inverse_polynomial_degree',
                 'twobody_number_radial_basis_functions', 'threebody_number_radial_basis_functions',
                 'threebody_angular_degree', 'fourbody_number_radial_basis_functions', 'fourbody_angular_degree')
INTEGER_KEYS = POD_FILE_KEYS[2:]
COEFFICIENT_HEADER = 'model_coefficients:'
#: The LAMMPS script of a fitpod run, the folder of its configurations, the prefix of its outputs and the coefficient
#: file it writes (relative to the run's folder).
FITPOD_SCRIPT = 'fit.in'
TRAINING_FOLDER = 'training'
FITPOD_BASENAME = 'fit'
FITPOD_COEFFICIENTS = f'{FITPOD_BASENAME}_coefficients.pod'


def merge_pod_hyperparameters(overrides: dict | None = None) -> dict:
    """The defaults updated with ``overrides``.

    :raises ValueError: for unknown keys, non-integer degrees or a cutoff not above ``rin``, naming them.
    """
    merged = copy.deepcopy(DEFAULT_POD_HYPERPARAMETERS)
    for key, value in (overrides or {}).items():
        if key not in merged:
            raise ValueError(f'unknown POD hyperparameter {key!r}; known: {sorted(merged)}')
        merged[key] = value
    for key in INTEGER_KEYS:
        if int(merged[key]) != merged[key] or merged[key] < 0:
            raise ValueError(f'{key} must be a non-negative integer, got {merged[key]}')
        merged[key] = int(merged[key])
    if merged['fourbody_angular_degree'] > merged['threebody_angular_degree']:
        raise ValueError('fourbody_angular_degree must not exceed threebody_angular_degree (fitpod refuses it)')
    if not 0 <= merged['rin'] < merged['rcut']:
        raise ValueError(f'POD needs 0 <= rin < rcut (Angstrom), got rin {merged["rin"]}, rcut {merged["rcut"]}')
    return merged


def pod_parameter_file(species: Sequence[str], hyperparameters: dict) -> str:
    """The ``pod.txt`` text that ``fitpod`` and ``pair_style pod`` read (one-body terms always on)."""
    lines = [f'species {" ".join(species)}', 'pbc 1 1 1', 'onebody 1']
    lines.extend(f'{key} {hyperparameters[key]!r}' for key in POD_FILE_KEYS)
    return '\n'.join(lines) + '\n'


def read_pod_parameters(text: str) -> dict:
    """``{keyword: value}`` of a ``pod.txt``; ``species`` is a list of symbols.

    :raises ValueError: if there is no ``species`` line or one-body terms are off (the energy shift needs them).
    """
    parameters = {}
    for line in text.splitlines():
        words = line.split('#')[0].split()
        if words:
            parameters[words[0]] = words[1:] if words[0] in ('species', 'pbc') else words[1]
    if not parameters.get('species'):
        raise ValueError('the POD parameter file has no "species" line')
    if parameters.get('onebody', '1') != '1':
        raise ValueError('the POD parameter file must have "onebody 1" (per-element reference energies)')
    return parameters


@dataclasses.dataclass
class PodModel:
    """A fitted POD: the parameter file, the coefficient file and the settings they came from.

    :ivar species: chemical symbols, sorted by atomic number (LAMMPS types 1, 2, ...; the coefficient blocks).
    :ivar parameters: text of ``pod.txt``.
    :ivar coefficients: text of the coefficient file (eV), one-body coefficients carrying the absolute energy.
    """

    species: list[str]
    hyperparameters: dict
    parameters: str
    coefficients: str

    def files(self) -> tuple[str, str]:
        """The parameter and coefficient texts, in ``pair_coeff`` order."""
        return self.parameters, self.coefficients

    def lammps_pair(self) -> tuple[dict[str, bytes], list[str]]:
        """The files (name -> content) and the ``pair_style pod`` commands reading them (types: ``species``)."""
        files = {'potential.pod': self.parameters.encode(), 'potential_coefficients.pod': self.coefficients.encode()}
        return files, pod_pair_commands(*files, self.species)

    def calculator(self) -> LammpsPairCalculator:
        """An ASE calculator running this model with LAMMPS's ``pair_style pod`` in-process."""
        files, commands = self.lammps_pair()
        return LammpsPairCalculator(self.species, commands, files)


def pod_calculator(parameters: str, coefficients: str) -> LammpsPairCalculator:
    """An ASE calculator for the POD in the given parameter and coefficient texts (``pair_style pod``)."""
    return PodModel(read_pod_parameters(parameters)['species'], {}, parameters, coefficients).calculator()


def _fit_setup(frames: Sequence, hyperparameters: dict | None, reference_energies: dict | None):
    """Species (sorted by atomic number), merged hyperparameters and one-body shifts (eV/atom per element, in species
    order: the reference energy plus e0, the mean remaining energy per atom) of a fit to ``frames``."""
    species = fit_species(frames)
    hyperparameters = merge_pod_hyperparameters(hyperparameters)
    baselines = reference_baselines(frames, species, reference_energies)
    references = reference_energies or dict.fromkeys(species, 0.0)
    e0 = float(np.mean([(atoms.get_potential_energy() - baseline) / len(atoms)
                        for atoms, baseline in zip(frames, baselines)]))
    return species, hyperparameters, {symbol: references[symbol] + e0 for symbol in species}


def fitpod_input_files(frames: Sequence, hyperparameters: dict | None = None,
                       reference_energies: dict | None = None) -> dict[str, str]:
    """The files of a ``fitpod`` run, relative path -> text: ``FITPOD_SCRIPT`` (run ``lmp -in fit.in`` in their
    folder), ``pod.txt``, fitpod's ``data.txt`` and ``training/config_<n>.xyz``; the fit writes ``FITPOD_COEFFICIENTS``.

    :param frames: periodic ``ase.Atoms`` with a calculator holding energy (eV) and forces (eV/Angstrom), e.g.
        ``TrainingSetData.to_atoms()``; their elements are the potential's.
    :param hyperparameters: overrides of ``DEFAULT_POD_HYPERPARAMETERS``.
    :param reference_energies: isolated-atom energy per element (eV), subtracted per atom before the mean shift, so
        that energies of different compositions share per-element references; None: one mean shift for all.
    :raises ValueError: for an empty set, unknown settings or reference energies missing an element.
    """
    frames = list(frames)
    species, hyperparameters, shifts = _fit_setup(frames, hyperparameters, reference_energies)
    files = {'pod.txt': pod_parameter_file(species, hyperparameters)}
    for index, atoms in enumerate(frames):  # labels only: fitpod misreads extra columns
        shifted = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=True)
        baseline = sum(shifts[symbol] for symbol in atoms.get_chemical_symbols())
        shifted.calc = SinglePointCalculator(shifted, energy=atoms.get_potential_energy() - baseline,
                                             forces=atoms.get_forces())
        text = io.StringIO()
        ase.io.write(text, shifted, format='extxyz')
        files[f'{TRAINING_FOLDER}/config_{index:05d}.xyz'] = text.getvalue()
    files['data.txt'] = '\n'.join([
        'file_format extxyz',
        'file_extension xyz',
        f'path_to_training_data_set "{TRAINING_FOLDER}"',
        f'fitting_weight_energy {hyperparameters["energy_weight"]!r}',
        f'fitting_weight_force {hyperparameters["force_weight"]!r}',
        f'fitting_regularization_parameter {hyperparameters["regularisation"]!r}',
        'precision_for_pod_coefficients 16',
        'error_analysis_for_training_data_set 0',
        f'basename_for_output_files {FITPOD_BASENAME}',
    ]) + '\n'
    files[FITPOD_SCRIPT] = 'fitpod pod.txt data.txt\n'
    return files


def pod_from_fitpod(coefficients: str, frames: Sequence, hyperparameters: dict | None = None,
                    reference_energies: dict | None = None) -> PodModel:
    """The POD whose coefficient file ``fitpod`` wrote for ``fitpod_input_files`` of the same arguments: the
    subtracted energies (reference + e0 per atom, eV) are added back to each element's one-body coefficient, so the
    potential's energy is the fit's plus the baseline exactly.

    :raises ValueError: if ``coefficients`` is not a coefficient file with one block per element.
    """
    frames = list(frames)
    species, hyperparameters, shifts = _fit_setup(frames, hyperparameters, reference_energies)
    return PodModel(species, hyperparameters, pod_parameter_file(species, hyperparameters),
                    _shift_one_body(coefficients, [shifts[symbol] for symbol in species]))


def _shift_one_body(text: str, shifts: Sequence[float]) -> str:
    """Add ``shifts`` (eV/atom, one per element in order) to each element's one-body coefficient, the first of its
    block."""
    n_species = len(shifts)
    lines = text.strip().splitlines()
    header = lines[0].split()
    if header[0] != COEFFICIENT_HEADER or int(header[1]) != len(lines) - 1 or (len(lines) - 1) % n_species:
        raise ValueError(f'unexpected fitpod coefficient file: header {lines[0]!r}, {len(lines) - 1} values')
    per_element = (len(lines) - 1) // n_species
    for element in range(n_species):
        line = 1 + element * per_element
        lines[line] = repr(float(lines[line]) + shifts[element])
    return '\n'.join(lines) + '\n'
