"""Neural-network potentials on bispectrum descriptors for LAMMPS's ML-IAP ``pair_style mliap model nn``.

The energy of atom i of element I is the output of a small feed-forward network of that element,
E_i = NN_I((B_i - shift_I) / scale_I), with B_i the SNAP bispectrum components of atom i (the descriptor ``sna``,
the same settings as ``aiida_lps.potentials.snap``, B0 of an isolated atom subtracted) and shift and scale the mean
and standard deviation of B over the training atoms of element I. Forces are F_j = -sum_i dE_i/dB_i . dB_i/dr_j:
LAMMPS's ``compute snap`` with ``bikflag 1 dgradflag 1`` gives the B_i and every dB_i/dr_j, and torch's autograd
gives dE_i/dB_i, so the fit matches energies and forces. The networks are fitted with torch's L-BFGS (full batch,
float64) to energies per atom and force components, weighted by 1/sigma as in the SNAP fit, with an L2 penalty on
the weights; the isolated-atom
reference energies, when given, are subtracted before the fit and added to each element's output bias after it.

Units: Angstrom, eV, eV/Angstrom. torch is optional: ``pip install 'aiida-lps[nn]'`` (CPU build, about 870 MB).

A. P. Thompson et al., J. Comput. Phys. 285, 316 (2015) (bispectrum); ML-IAP: LAMMPS ``pair_style mliap``
(A. P. Thompson et al., Comput. Phys. Commun. 271, 108171 (2022)); J. Behler, M. Parrinello, Phys. Rev. Lett. 98,
146401 (2007) (atomic neural networks).
"""
from __future__ import annotations

import copy
import dataclasses
import importlib.util
from collections.abc import Sequence

import numpy as np

from aiida_lps.potentials.lammps_library import LammpsPairCalculator
from aiida_lps.potentials.reference_energies import fit_species, reference_baselines
from aiida_lps.potentials.snap import (DEFAULT_SNAP_HYPERPARAMETERS, SNAPPARAM_FLAGS, compute_snap_arrays,
                                       merge_snap_hyperparameters, n_bispectrum_components)

__all__ = ('DEFAULT_NN_HYPERPARAMETERS', 'NnModel', 'fit_nn', 'merge_nn_hyperparameters', 'nn_pair_commands',
           'read_nn_species')

#: Descriptor settings of ``DEFAULT_SNAP_HYPERPARAMETERS`` but ``twojmax`` 4 (14 components; radii in Angstrom), then
#: the network: ``hidden_layers`` (nodes per hidden layer), ``activation`` (``tanh`` or ``sigmoid``; the output is
#: linear), the sigmas of the loss (eV/atom, eV/Angstrom), ``weight_decay`` (dimensionless: times the mean squared
#: weight, added to the loss; tens of configurations overfit without it), ``max_iterations`` of L-BFGS and the
#: ``seed`` of the initial weights.
DESCRIPTOR_KEYS = ('twojmax', 'rcutfac', 'rfac0', 'rmin0', 'radii_A', 'weights')
DEFAULT_NN_HYPERPARAMETERS = {
    **copy.deepcopy({key: DEFAULT_SNAP_HYPERPARAMETERS[key] for key in DESCRIPTOR_KEYS}),
    'twojmax': 4,
    'hidden_layers': [16, 16],
    'activation': 'tanh',
    'energy_sigma_eV_per_atom': 0.01,
    'force_sigma_eV_per_A': 0.1,
    'weight_decay': 1.0e-3,
    'max_iterations': 300,
    'seed': 1,
}
ACTIVATIONS = ('tanh', 'sigmoid')


def merge_nn_hyperparameters(overrides: dict | None = None, species: Sequence[str] | None = None) -> dict:
    """The defaults updated with ``overrides`` (``radii_A`` and ``weights`` merged per element).

    :param species: if given, check that every one has a radius and a weight.
    :raises ValueError: for unknown keys or bad values, naming them.
    """
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(DEFAULT_NN_HYPERPARAMETERS))
    if unknown:
        raise ValueError(f'unknown NN hyperparameter {unknown[0]!r}; known: {sorted(DEFAULT_NN_HYPERPARAMETERS)}')
    network = {key: overrides.pop(key) for key in list(overrides) if key not in DESCRIPTOR_KEYS}
    descriptor = {key: value for key, value in DEFAULT_NN_HYPERPARAMETERS.items() if key in DESCRIPTOR_KEYS}
    snap_defaults = merge_snap_hyperparameters({**descriptor, **overrides}, species)
    merged = copy.deepcopy(DEFAULT_NN_HYPERPARAMETERS)
    merged.update({key: snap_defaults[key] for key in DESCRIPTOR_KEYS}, **network)
    layers = merged['hidden_layers']
    if not layers or not all(isinstance(nodes, int) and nodes > 0 for nodes in layers):
        raise ValueError(f'hidden_layers must be a non-empty list of positive node counts, got {layers}')
    if merged['activation'] not in ACTIVATIONS:
        raise ValueError(f'activation must be one of {ACTIVATIONS}, got {merged["activation"]!r}')
    if merged['weight_decay'] < 0:
        raise ValueError(f'weight_decay must not be negative, got {merged["weight_decay"]}')
    if merged['max_iterations'] < 1:
        raise ValueError(f'max_iterations must be at least 1, got {merged["max_iterations"]}')
    if importlib.util.find_spec('torch') is None:  # refused when the inputs are checked, not in the fit
        raise ValueError("the NN fit needs torch: pip install 'aiida-lps[nn]'")
    return merged


def nn_pair_commands(model_file: str, descriptor_file: str, species: Sequence[str]) -> list[str]:
    """``pair_style mliap`` with the ``nn`` model and ``sna`` descriptor files; LAMMPS type t is ``species[t - 1]``."""
    return [f'pair_style mliap model nn {model_file} descriptor sna {descriptor_file}',
            f'pair_coeff * * {" ".join(species)}']


def read_nn_species(descriptor: str) -> list[str]:
    """The ``elems`` of an ML-IAP ``sna`` descriptor file.

    :raises ValueError: when the file names no elements.
    """
    for line in descriptor.splitlines():
        words = line.split('#')[0].split()
        if words and words[0] == 'elems':
            return words[1:]
    raise ValueError('not an ML-IAP sna descriptor: no "elems" line')


@dataclasses.dataclass
class AtomDescriptors:
    """Per-atom bispectrum components of one configuration and their position derivatives (ASE frame).

    :ivar types: (n_atoms,) index of each atom's element in the species.
    :ivar values: (n_atoms, K) B_i - B0.
    :ivar pairs: (n_pairs, 2) atom indices (i, j).
    :ivar gradients: (n_pairs, 3, K) -dB_i/dr_j, 1/Angstrom, so that F_j = sum_i gradients . dE_i/dB_i.
    """

    types: np.ndarray
    values: np.ndarray
    pairs: np.ndarray
    gradients: np.ndarray


def atom_descriptors(frames: Sequence, species: Sequence[str], hyperparameters: dict) -> list[AtomDescriptors]:
    """``compute snap`` per-atom rows and gradients (``bikflag 1 dgradflag 1``) of every configuration."""
    k = n_bispectrum_components(hyperparameters['twojmax'])
    result = []
    for atoms, array, prism in compute_snap_arrays(frames, species, hyperparameters, 'bikflag 1 dgradflag 1'):
        n_atoms = len(atoms)
        n_pairs = (len(array) - n_atoms - 1) // 3  # the last row holds the reference energy and forces
        rows = array[n_atoms:n_atoms + 3 * n_pairs]
        gradients = rows[:, 3:3 + k].reshape(n_pairs, 3, k)
        result.append(AtomDescriptors(
            types=np.array([species.index(symbol) for symbol in atoms.get_chemical_symbols()]),
            values=array[:n_atoms, 3:3 + k].copy(),
            pairs=rows[::3, :2].astype(int),
            gradients=np.einsum('ab,pbk->pak', prism.rot_mat, gradients),  # ASE vector = rot_mat @ LAMMPS vector
        ))
    return result


@dataclasses.dataclass
class NnModel:
    """Fitted networks, one per element, with the descriptor standardisation.

    :ivar species: chemical symbols in LAMMPS type order.
    :ivar hyperparameters: the merged settings of the fit.
    :ivar shift: (n_species, K) mean of B per element; ``scale`` the standard deviations.
    :ivar layers: per element, per layer ``(weights (n_out, n_in), biases (n_out,))``, eV at the output.
    """

    species: list[str]
    hyperparameters: dict
    shift: np.ndarray
    scale: np.ndarray
    layers: list[list[tuple[np.ndarray, np.ndarray]]]

    def model_file(self) -> str:
        """The ``nn`` model file: elements and parameters per element, the network, then per element the shift, the
        scale and per node its bias and weights."""
        activation = self.hyperparameters['activation']
        sizes = [*self.hyperparameters['hidden_layers'], 1]
        n_params = sum(weights.size + biases.size for weights, biases in self.layers[0])
        lines = [f'# ML-IAP nn fitted by aiida-lps: species {" ".join(self.species)}',
                 f'{len(self.species)} {n_params}',
                 f'NET {self.shift.shape[1]} {len(sizes)} '
                 + ' '.join(f'{"linear" if index == len(sizes) - 1 else activation} {nodes}'
                            for index, nodes in enumerate(sizes))]
        for element, layers in enumerate(self.layers):
            parameters = np.concatenate([np.column_stack([biases, weights]).ravel() for weights, biases in layers])
            for values in (self.shift[element], self.scale[element], parameters):
                lines.extend(' '.join(repr(float(value)) for value in values[start:start + 10])
                             for start in range(0, len(values), 10))
        return '\n'.join(lines) + '\n'

    def descriptor_file(self) -> str:
        """The ML-IAP ``sna`` descriptor file (cutoff factor, radii in Angstrom, weights, flags)."""
        settings = self.hyperparameters
        lines = [f'rcutfac {settings["rcutfac"]!r}', f'twojmax {settings["twojmax"]}', f'nelems {len(self.species)}',
                 f'elems {" ".join(self.species)}',
                 'radelems ' + ' '.join(repr(float(settings['radii_A'][symbol])) for symbol in self.species),
                 'welems ' + ' '.join(repr(float(settings['weights'][symbol])) for symbol in self.species),
                 f'rfac0 {settings["rfac0"]!r}', f'rmin0 {settings["rmin0"]!r}',
                 *(f'{flag} {value}' for flag, value in SNAPPARAM_FLAGS.items() if flag != 'quadraticflag')]
        return '\n'.join(lines) + '\n'

    def files(self) -> tuple[str, str]:
        """The model and descriptor texts, in ``pair_style`` order."""
        return self.model_file(), self.descriptor_file()

    def calculator(self) -> LammpsPairCalculator:
        """An ASE calculator running this model with ``pair_style mliap`` in-process."""
        names = ('potential.mliap.model', 'potential.mliap.descriptor')
        return LammpsPairCalculator(self.species, nn_pair_commands(*names, self.species),
                                    {name: text.encode() for name, text in zip(names, self.files())})


def fit_nn(frames: Sequence, hyperparameters: dict | None = None, species: Sequence[str] | None = None,
           reference_energies: dict | None = None) -> NnModel:
    """Fit one network per element to labelled configurations (energies eV, forces eV/Angstrom).

    :param frames: periodic ``ase.Atoms`` with a calculator holding energy and forces (``TrainingSetData.to_atoms``).
    :param hyperparameters: overrides of ``DEFAULT_NN_HYPERPARAMETERS``.
    :param species: the elements of the potential (default: those of ``frames``), stored sorted by atomic number.
    :param reference_energies: isolated-atom energy per element (eV), subtracted before the fit.
    :raises ValueError: for an empty set, unknown settings or reference energies missing an element.
    """
    frames = list(frames)
    species = fit_species(frames, species)
    settings = merge_nn_hyperparameters(hyperparameters, species)
    import torch
    descriptors = atom_descriptors(frames, species, settings)
    targets = np.array([atoms.get_potential_energy() for atoms in frames])
    targets = targets - reference_baselines(frames, species, reference_energies)
    n_atoms = np.array([len(atoms) for atoms in frames])

    offsets = np.concatenate([[0], np.cumsum(n_atoms)])
    values = torch.tensor(np.concatenate([d.values for d in descriptors]), dtype=torch.float64, requires_grad=True)
    types = torch.tensor(np.concatenate([d.types for d in descriptors]))
    frame_of_atom = torch.tensor(np.repeat(np.arange(len(frames)), n_atoms))
    pairs = torch.tensor(np.concatenate([d.pairs + offset for d, offset in zip(descriptors, offsets)]))
    gradients = torch.tensor(np.concatenate([d.gradients for d in descriptors]), dtype=torch.float64)
    forces = torch.tensor(np.concatenate([atoms.get_forces() for atoms in frames]), dtype=torch.float64)
    energies, counts = torch.tensor(targets), torch.tensor(n_atoms, dtype=torch.float64)

    all_values = values.detach().numpy()
    shift = np.array([all_values[types.numpy() == index].mean(axis=0) for index in range(len(species))])
    scale = np.array([all_values[types.numpy() == index].std(axis=0) for index in range(len(species))])
    scale = np.where(scale > 1e-8, scale, 1.0)

    torch.manual_seed(settings['seed'])
    activation = {'tanh': torch.nn.Tanh, 'sigmoid': torch.nn.Sigmoid}[settings['activation']]
    sizes = [values.shape[1], *settings['hidden_layers']]
    networks = []
    for _ in species:
        modules = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            modules += [torch.nn.Linear(n_in, n_out, dtype=torch.float64), activation()]
        modules.append(torch.nn.Linear(sizes[-1], 1, dtype=torch.float64))
        networks.append(torch.nn.Sequential(*modules))
    composition = np.array([[symbols.count(symbol) for symbol in species]
                            for symbols in (atoms.get_chemical_symbols() for atoms in frames)], dtype=float)
    per_element = np.linalg.lstsq(composition, targets, rcond=None)[0]  # mean energy per atom of each element, eV
    with torch.no_grad():
        for network, energy in zip(networks, per_element):
            network[-1].bias.fill_(float(energy))
    shift_t, scale_t = torch.tensor(shift), torch.tensor(scale)

    def predict():
        atom_energies = torch.zeros(len(types), dtype=torch.float64)
        for index, network in enumerate(networks):
            mask = types == index
            inputs = (values[mask] - shift_t[index]) / scale_t[index]
            atom_energies = atom_energies.index_put((mask,), network(inputs).squeeze(-1))
        beta = torch.autograd.grad(atom_energies.sum(), values, create_graph=True)[0]
        predicted_forces = torch.zeros_like(forces).index_add(
            0, pairs[:, 1], torch.einsum('pak,pk->pa', gradients, beta[pairs[:, 0]]))
        return torch.zeros(len(frames), dtype=torch.float64).index_add(0, frame_of_atom, atom_energies), \
            predicted_forces

    parameters = [parameter for network in networks for parameter in network.parameters()]
    weights = [module.weight for network in networks for module in network if isinstance(module, torch.nn.Linear)]
    optimizer = torch.optim.LBFGS(parameters, max_iter=settings['max_iterations'], line_search_fn='strong_wolfe',
                                  tolerance_grad=1e-12, tolerance_change=1e-14, history_size=50)

    def loss_function():
        optimizer.zero_grad()
        predicted_energies, predicted_forces = predict()
        loss = (((predicted_energies - energies) / counts / settings['energy_sigma_eV_per_atom']) ** 2).mean() \
            + (((predicted_forces - forces) / settings['force_sigma_eV_per_A']) ** 2).mean() \
            + settings['weight_decay'] * torch.cat([weight.ravel() for weight in weights]).square().mean()
        loss.backward()
        return loss

    optimizer.step(loss_function)
    layers = []
    for symbol, network in zip(species, networks):
        linear = [module for module in network if isinstance(module, torch.nn.Linear)]
        element_layers = [(module.weight.detach().numpy().copy(), module.bias.detach().numpy().copy())
                          for module in linear]
        element_layers[-1][1][0] += (reference_energies or {}).get(symbol, 0.0)
        layers.append(element_layers)
    return NnModel(list(species), settings, shift, scale, layers)
