"""Two composition steps from gamma-Li3PS4 towards P2S5: GA with a GAP, pw.x relaxations, formation energies, hull.

Run: verdi run examples/sweep_li3ps4.py [GAP_PK]

Without GAP_PK the newest GapPotentialData of the profile that covers Li, P and S is used (after
`aiida-lps quickstart`, its GAP). The ``fast`` protocol relaxes at fixed cell on the Gamma point at 30/240 Ry:
this demonstrates the workflow and stores every structure and energy in the provenance graph, but the Gamma-point
k-point error differs between the cells, so the formation energies are not converged (use ``precise``).
PwCalculations are cached: a second run reuses the pw.x results of the first and takes minutes instead of an hour.
"""
import sys
import time

from aiida import orm
from aiida.engine import run_get_node
from aiida.manage.caching import enable_caching

from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.structures.crystals import get_crystal
from aiida_lps.workflows.composition import CompositionSweepWorkChain

#: Supercell of the 16-atom gamma-Li3PS4 cell (Li6P2S8): steps remove Li2S, x = 0.75 -> 0.667 -> 0.5.
REPETITIONS = (1, 1, 1)
N_STEPS = 2


def load_potential(arguments):
    """The GapPotentialData given by pk on the command line, else the newest one covering Li, P and S."""
    if arguments:
        return orm.load_node(int(arguments[0]))
    query = orm.QueryBuilder().append(GapPotentialData, tag='gap').order_by({'gap': {'ctime': 'desc'}})
    for potential in query.iterall():
        if {'Li', 'P', 'S'} <= set(potential[0].species):
            return potential[0]
    raise SystemExit('no GapPotentialData for Li, P and S in this profile: run `aiida-lps quickstart` first')


potential = load_potential(sys.argv[1:])
parent = orm.StructureData(ase=get_crystal('gamma-Li3PS4').repeat(REPETITIONS))
builder = CompositionSweepWorkChain.get_builder_from_protocol(
    orm.load_code('pw@localhost'), parent, potential, N_STEPS, protocol='fast')

start = time.monotonic()
with enable_caching(identifier='aiida.calculations:quantumespresso.pw'):
    results, node = run_get_node(builder)
print(f'CompositionSweepWorkChain<{node.pk}> with GapPotentialData<{potential.pk}>: exit {node.exit_status} '
      f'({node.exit_message or "ok"}) after {time.monotonic() - start:.0f} s')
if 'results' not in results:
    raise SystemExit(f'no results; the reasons: verdi process report {node.pk}')
table = results['results']
print(f'references: Li2S {table["references"]["Li2S_eV_per_formula_unit"]:.4f} eV/f.u., '
      f'P2S5 {table["references"]["P2S5_eV_per_formula_unit"]:.4f} eV/f.u.')
similarity = results['li_similarity']['structures']
print(f'{"label":<20} {"formula":<9} {"x":>6} {"E_f":>9} {"E_hull":>9}  {"Li like":<13} StructureData')
print(f'{"":<20} {"":<9} {"":>6} {"meV/atom":>9} {"meV/atom":>9}')
for label, row in sorted(table['structures'].items(), key=lambda item: (-item[1]['x'], item[0])):
    parent_mark = '  (parent of the next step)' if row['lowest_in_step'] and row['step'] < N_STEPS else ''
    similar = similarity.get(label, {}).get('most_similar') or '-'
    print(f'{label:<20} {row["formula"]:<9} {row["x"]:6.3f} {row["formation_energy_meV_per_atom"]:9.1f} '
          f'{row["e_above_hull_meV_per_atom"]:9.1f}  {similar:<13} {results["relaxed_structures"][label].pk}'
          f'{parent_mark}')
for gap in table['miscibility_gaps']:
    print(f'miscibility gap {gap["x_low"]:.3f} < x < {gap["x_high"]:.3f}')
print(f'hull plot: verdi node repo cat {results["hull_plot"].pk} hull.png > hull.png')
print(f'similarity plot: verdi node repo cat {results["similarity_plot"].pk} hull_similarity.png > '
      'hull_similarity.png')
