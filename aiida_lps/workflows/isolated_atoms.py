"""``IsolatedAtomEnergiesWorkChain`` (``lps.labelling.isolated_atoms``): per-element reference energies e0 (eV).

One atom per element in a large orthorhombic box, labelled like the condensed phases (same pseudopotentials, cutoffs
and protocol of ``labelling.yaml``) but spin-polarised with the free atom's total magnetisation fixed (Hund's rule:
Li 2S, 1 unpaired electron; P 4S, 3; S 3P, 2), smeared occupations (a spherical atom: the partly filled p shell is
shared evenly between its orbitals) and the Gamma point only. The energies become one ``Dict`` (eV per element),
with its provenance back to the pw.x runs, that ``GapFitCalculation`` (``reference_energies``, gap_fit's ``e0``) and
the linear fits subtract before fitting: the potentials then learn atomisation energies, which transfer between
compositions, instead of one shared average per atom.
"""
from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.workflows.labelling import DftLabellingWorkChain

__all__ = ('IsolatedAtomEnergiesWorkChain', 'isolated_atom', 'reference_energies_from_labels', 'UNPAIRED_ELECTRONS')

#: Unpaired electrons of the free-atom ground states (Hund's rule), pw.x's ``tot_magnetization``.
UNPAIRED_ELECTRONS = {'Li': 1, 'P': 3, 'S': 2}
#: Box edges (Angstrom): unequal, so that no cubic symmetry is imposed on the atom's density.
BOX_A = (12.0, 12.5, 13.0)


def isolated_atom(element: str, box_A=BOX_A) -> orm.StructureData:
    """One ``element`` atom at the centre of an orthorhombic periodic box of edges ``box_A`` (Angstrom)."""
    structure = orm.StructureData(cell=[[box_A[0], 0, 0], [0, box_A[1], 0], [0, 0, box_A[2]]])
    structure.append_atom(position=[edge / 2 for edge in box_A], symbols=element)
    return structure


def validate_structures(structures, _):
    """Every structure must be a single atom of an element with a known ground-state magnetisation."""
    if not structures:
        return 'no elements given'
    for label, structure in structures.items():
        if len(structure.sites) != 1:
            return f'`{label}` has {len(structure.sites)} sites: an isolated-atom reference has exactly one'
        element = structure.get_kind_names()[0]
        if element not in UNPAIRED_ELECTRONS:
            return f'`{label}`: no ground-state magnetisation known for {element}; known: {sorted(UNPAIRED_ELECTRONS)}'
    return None


@calcfunction
def reference_energies_from_labels(training_set: TrainingSetData) -> orm.Dict:
    """Energy (eV) of each isolated atom of ``training_set``, keyed by element: ``{"Li": ..., "P": ..., "S": ...}``."""
    return orm.Dict({atoms.get_chemical_symbols()[0]: float(atoms.get_potential_energy())
                     for atoms in training_set.to_atoms()})


class IsolatedAtomEnergiesWorkChain(DftLabellingWorkChain):
    """Label one isolated atom per element with the labelling protocol's settings; output their energies (eV)."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.inputs['structures'].validator = validate_structures
        spec.inputs['structures'].help = 'One single-atom box per element (see ``isolated_atom``), keyed by element.'
        spec.output('reference_energies', valid_type=orm.Dict,
                    help='Energy of each isolated atom, eV, keyed by element (gap_fit e0).')
        spec.exit_code(311, 'ERROR_ATOM_FAILED', message='the isolated-atom pw.x runs of {elements} failed: '
                       'no reference energies (see `verdi process report` of this work chain)')

    @classmethod
    def get_builder_from_protocol(cls, code, elements=('Li', 'P', 'S'), protocol: str | None = None,
                                  overrides=None, options: dict | None = None, box_A=BOX_A):
        """Builder for the isolated atoms of ``elements`` with the labelling ``protocol`` (same cutoffs as the labels).

        :param overrides: labelling protocol keys, as for ``DftLabellingWorkChain``; the k-points are always Gamma.
        :param box_A: edges of the orthorhombic box, Angstrom.
        """
        structures = {element: isolated_atom(element, box_A) for element in elements}
        return super().get_builder_from_protocol(code, structures, protocol, overrides, options)

    def adapt_pw_inputs(self, structure, inputs):
        """Spin-polarised with the free atom's magnetisation, smeared occupations, the Gamma point."""
        element = structure.get_kind_names()[0]
        parameters = inputs['pw']['parameters'].get_dict()
        parameters.setdefault('SYSTEM', {}).update({
            'nspin': 2,
            'tot_magnetization': UNPAIRED_ELECTRONS[element],
            'starting_magnetization': {element: 0.5},
            'occupations': 'smearing',
            'smearing': 'gaussian',
            'degauss': 0.005,  # Ry
        })
        parameters.setdefault('ELECTRONS', {}).update({'mixing_beta': 0.3, 'electron_maxstep': 200})
        inputs['pw']['parameters'] = orm.Dict(parameters)
        inputs.pop('kpoints_distance', None)
        kpoints = orm.KpointsData()
        kpoints.set_kpoints_mesh([1, 1, 1])
        inputs['kpoints'] = kpoints

    def collect(self):
        """The labels of the parent class, then one energy (eV) per element."""
        exit_code = super().collect()
        failed = self.outputs['summary']['failed']
        if exit_code is not None or failed:
            return self.exit_codes.ERROR_ATOM_FAILED.format(elements=', '.join(sorted(failed)) or 'every element')
        energies = reference_energies_from_labels(self.outputs['training_set'])
        self.report('isolated-atom energies (eV): ' + ', '.join(f'{k} {v:.4f}' for k, v in energies.items()))
        self.out('reference_energies', energies)
        return None
