"""``TrainingSetData``: labelled atomic configurations (DFT energies, forces, stresses) as arrays.

Units: positions and cells in Angstrom, energies in eV, forces in eV/Angstrom, stresses in eV/Angstrom^3
(ASE's sign convention: positive is tensile).
"""
from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
from aiida.orm import ArrayData

__all__ = ('TrainingSetData',)

TAGS_FILENAME = 'tags.json'


def _labels_of(atoms) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Return ``(energy, forces, stress)`` of one ``ase.Atoms``, from its calculator or ``info``/``arrays``.

    :param atoms: configuration with a single-point calculator or ``info['energy']`` (eV),
        ``arrays['forces']`` ((n_atoms, 3), eV/Angstrom) and optionally ``info['stress']``.
    :return: energy (eV), forces ((n_atoms, 3), eV/Angstrom), stress ((3, 3), eV/Angstrom^3) or None.
    """
    from ase.stress import voigt_6_to_full_3x3_stress

    calc_results = atoms.calc.results if atoms.calc is not None else {}
    energy = calc_results.get('energy', atoms.info.get('energy'))
    forces = calc_results.get('forces', atoms.arrays.get('forces'))
    stress = calc_results.get('stress', atoms.info.get('stress'))
    if energy is None or forces is None:
        raise ValueError(
            f'configuration {atoms.get_chemical_formula()} has no energy and forces: label it (DFT) before adding it '
            'to a training set'
        )
    if stress is not None:
        stress = np.asarray(stress, dtype=float)
        stress = voigt_6_to_full_3x3_stress(stress) if stress.shape == (6,) else stress.reshape(3, 3)
    return float(energy), np.asarray(forces, dtype=float).reshape(len(atoms), 3), stress


class TrainingSetData(ArrayData):
    """Labelled configurations stored as concatenated arrays in the node repository.

    Arrays: ``cells`` (n_structures, 3, 3) Angstrom, ``pbc`` (n_structures, 3), ``n_atoms`` (n_structures,),
    ``numbers`` (n_total_atoms,), ``positions`` (n_total_atoms, 3) Angstrom, ``energies`` (n_structures,) eV,
    ``forces`` (n_total_atoms, 3) eV/Angstrom, ``stresses`` (n_structures, 3, 3) eV/Angstrom^3 (NaN where a
    structure has none). Per-structure tags (JSON dicts, e.g. ``source``, ``generation``) are a repository file.
    The attributes ``num_structures``, ``num_atoms`` and ``species`` are queryable.
    """

    @classmethod
    def from_atoms(cls, frames: Sequence, tags: Sequence[dict] | None = None) -> TrainingSetData:
        """Build an unstored node from labelled ``ase.Atoms``.

        :param frames: configurations carrying energy (eV) and forces (eV/Angstrom), see ``_labels_of``.
        :param tags: one JSON-serialisable dict per configuration; defaults to each frame's scalar ``info``
            entries other than the labels.
        """
        frames = list(frames)
        if not frames:
            raise ValueError('a training set needs at least one labelled configuration')
        if tags is None:
            tags = [_scalar_info(atoms) for atoms in frames]
        if len(tags) != len(frames):
            raise ValueError(f'got {len(tags)} tag dicts for {len(frames)} configurations')
        labels = [_labels_of(atoms) for atoms in frames]
        node = cls()
        node.set_array('cells', np.array([atoms.cell.array for atoms in frames], dtype=float))
        node.set_array('pbc', np.array([atoms.pbc for atoms in frames], dtype=bool))
        node.set_array('n_atoms', np.array([len(atoms) for atoms in frames], dtype=np.int64))
        node.set_array('numbers', np.concatenate([atoms.numbers for atoms in frames]).astype(np.int64))
        node.set_array('positions', np.concatenate([atoms.positions for atoms in frames]).astype(float))
        node.set_array('energies', np.array([energy for energy, _, _ in labels], dtype=float))
        node.set_array('forces', np.concatenate([forces for _, forces, _ in labels]))
        nan_stress = np.full((3, 3), np.nan)
        node.set_array('stresses', np.array([nan_stress if s is None else s for _, _, s in labels], dtype=float))
        node._set_tags(list(tags))
        return node

    @classmethod
    def from_extxyz(cls, path, tags: Sequence[dict] | None = None) -> TrainingSetData:
        """Read every frame of an extended-XYZ file (energy, forces, optional stress) into a new node."""
        import ase.io

        return cls.from_atoms(ase.io.read(path, index=':', format='extxyz'), tags=tags)

    def _set_tags(self, tags: list[dict]) -> None:
        import io

        content = json.dumps(tags, sort_keys=True).encode()
        self.base.repository.put_object_from_filelike(io.BytesIO(content), TAGS_FILENAME)
        numbers = self.get_array('numbers')
        from ase.data import chemical_symbols

        self.base.attributes.set('num_structures', len(tags))
        self.base.attributes.set('num_atoms', int(len(numbers)))
        self.base.attributes.set('species', sorted({chemical_symbols[z] for z in numbers}))

    @property
    def num_structures(self) -> int:
        """Number of configurations."""
        return self.base.attributes.get('num_structures')

    @property
    def species(self) -> list[str]:
        """Sorted chemical symbols present in the set."""
        return self.base.attributes.get('species')

    def __len__(self) -> int:
        return self.num_structures

    def get_tags(self) -> list[dict]:
        """Per-configuration tag dicts, in order."""
        return json.loads(self.base.repository.get_object_content(TAGS_FILENAME))

    def get_energies(self) -> np.ndarray:
        """Total energies, shape (n_structures,), eV."""
        return self.get_array('energies')

    def to_atoms(self) -> list:
        """Return the configurations as ``ase.Atoms`` with a ``SinglePointCalculator`` holding the labels.

        Tags are copied into ``atoms.info``.
        """
        from ase import Atoms
        from ase.calculators.singlepoint import SinglePointCalculator
        from ase.stress import full_3x3_to_voigt_6_stress

        offsets = np.concatenate([[0], np.cumsum(self.get_array('n_atoms'))])
        numbers, positions, forces = (self.get_array(name) for name in ('numbers', 'positions', 'forces'))
        frames = []
        for index, (cell, pbc, energy, stress, tags) in enumerate(
            zip(self.get_array('cells'), self.get_array('pbc'), self.get_energies(), self.get_array('stresses'),
                self.get_tags())
        ):
            atoms_slice = slice(offsets[index], offsets[index + 1])
            atoms = Atoms(numbers=numbers[atoms_slice], positions=positions[atoms_slice], cell=cell, pbc=pbc)
            atoms.info.update(tags)
            results = {'energy': float(energy), 'forces': forces[atoms_slice].copy()}
            if not np.isnan(stress).any():
                results['stress'] = full_3x3_to_voigt_6_stress(stress)
            atoms.calc = SinglePointCalculator(atoms, **results)
            frames.append(atoms)
        return frames

    def write_extxyz(
        self, path, energy_key: str = 'energy', forces_key: str = 'forces', stress_key: str | None = 'stress'
    ) -> None:
        """Write all configurations to an extended-XYZ file (a path or a text handle); see ``with_plain_labels``."""
        import ase.io

        ase.io.write(path, with_plain_labels(self.to_atoms(), energy_key, forces_key, stress_key), format='extxyz')


def with_plain_labels(
    frames: Sequence, energy_key: str = 'energy', forces_key: str = 'forces', stress_key: str | None = 'stress'
) -> list:
    """Move the calculator results of ``frames`` (from ``TrainingSetData.to_atoms``) into ``info``/``arrays``.

    Codes such as gap_fit read labels under given names from extxyz; ASE would otherwise write calculator results
    under its own names.

    :param energy_key: name of the per-frame energy (eV) entry.
    :param forces_key: name of the per-atom forces (eV/Angstrom) array.
    :param stress_key: name of the stress entry (eV/Angstrom^3, Voigt order), written where a configuration has
        one; None writes no stress.
    """
    plain = []
    for atoms in frames:
        results = atoms.calc.results
        atoms.calc = None
        atoms.info[energy_key] = results['energy']
        atoms.arrays[forces_key] = results['forces']
        if stress_key and 'stress' in results:
            atoms.info[stress_key] = results['stress']
        plain.append(atoms)
    return plain


def _scalar_info(atoms) -> dict:
    """The JSON-serialisable scalar entries of ``atoms.info`` other than labels."""
    skip = {'energy', 'stress', 'free_energy'}
    return {
        key: value.item() if isinstance(value, np.generic) else value
        for key, value in atoms.info.items()
        if key not in skip and isinstance(value, (str, int, float, bool, np.generic))
    }
