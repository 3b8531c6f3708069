"""Label rattled gamma-Li3PS4 cells with pw.x (fast protocol). Run: verdi run examples/dft_labelling.py"""
from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.calculations.functions.perturbed_structures import perturbed_structures
from aiida_lps.structures.crystals import get_crystal
from aiida_lps.workflows.labelling import DftLabellingWorkChain

structures = perturbed_structures(
    orm.StructureData(ase=get_crystal('gamma-Li3PS4')), orm.Int(2), orm.Float(0.1), orm.Float(0.02), orm.Int(0)
)
builder = DftLabellingWorkChain.get_builder_from_protocol(orm.load_code('pw@localhost'), structures, protocol='fast')
results, node = run_get_node(builder)
print(f'DftLabellingWorkChain<{node.pk}>: {results["summary"].get_dict()}')
for atoms in results['training_set'].to_atoms():
    print(f'  {atoms.info["label"]}: E = {atoms.get_potential_energy():.4f} eV, '
          f'max |F| = {abs(atoms.get_forces()).max():.3f} eV/A')
