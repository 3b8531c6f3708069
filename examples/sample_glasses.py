"""Sample an ensemble of 5 Li3PS4 glasses (96 atoms each) with the newest GAP in the profile; print their structure.

Thesis settings (``precise`` protocol) except the ensemble size: 1.3 -> 1.8 g/cm3 in 0.99 steps, each followed by
GAP/BFGS to fmax 3 eV/Angstrom (at most 20 steps). The quickstart GAP is fitted to 4 rattled gamma-Li3PS4 cells
only, so these glasses show that the machinery works; they are not a converged glass model.

Run: verdi run examples/sample_glasses.py [pk of a GapPotentialData; default: the newest]
"""
import sys
import time

from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.workflows.glass import GlassSamplingWorkChain

if len(sys.argv) > 1:
    potential = orm.load_node(int(sys.argv[1]))
else:
    potential = orm.QueryBuilder().append(GapPotentialData, tag='gap').order_by({'gap': {'ctime': 'desc'}}).first(
        flat=True)
if potential is None:
    raise SystemExit('no GapPotentialData in this profile: run `aiida-lps quickstart` first')

builder = GlassSamplingWorkChain.get_builder_from_protocol(potential, 'Li3PS4', protocol='precise',
                                                           overrides={'ensemble_size': 5})
start = time.perf_counter()
results, node = run_get_node(builder)
wall_time_s = time.perf_counter() - start

print(f'GlassSamplingWorkChain<{node.pk}> with GapPotentialData<{potential.pk}>: exit status {node.exit_status} '
      f'{node.exit_message or ""}, wall time {wall_time_s:.0f} s')
fractions = results['motif_fractions'].get_dict()
for label, glass in sorted(results['glasses'].items()):
    info = glass.base.attributes.get('glass_sampling')
    relaxation = info['relaxation']
    per_glass = fractions['structures'][label]
    print(f'{label} seed {info["seed"]}: {len(glass.sites)} atoms, {info["final_density_g_cm3"]:.3f} g/cm3, '
          f'{relaxation["n_bfgs_steps"]} BFGS steps ({relaxation["n_not_converged"]} of {relaxation["n_relaxations"]} '
          f'relaxations stopped at max_steps); PS4 fraction by connectivity '
          f'{per_glass["by_connectivity"]["PS4^3-"]:.3f},'
          f' by P-P distance {per_glass["by_distance"]["PS4^3-"]:.3f}; shortest distances (A) '
          + ', '.join(f'{pair} {distance:.2f}' for pair, distance in info['shortest_distances_A'].items()))
for assignment, mean in fractions['mean'].items():
    shown = ', '.join(f'{motif} {value:.3f} +- {fractions["std"][assignment][motif]:.3f}'
                      for motif, value in mean.items() if value)
    print(f'ensemble motif fractions of P {assignment}: {shown}')
print(f'plots: SinglefileData<{results["rdf_plot"].pk}> (RDFs vs crystals), '
      f'SinglefileData<{results["motif_plot"].pk}> (motif fractions)')
