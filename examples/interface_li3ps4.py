"""A small beta-Li3PS4 (010) | Li3PS4-glass interface, built, sintered and analysed with the newest GAP.

Run: verdi run examples/interface_li3ps4.py [pk of a GapPotentialData; default: the newest in the profile]

What it does (InterfaceWorkChain, ``fast`` protocol with the overrides below):

- build: 2 x 1 x 1 surface cells of the (010) facet, doubled along the normal (128 crystal atoms, 16.0 A), and
  15 formula units of Li3PS4 glass (120 atoms) sampled into the void and compressed along the normal to
  1.8 g/cm3; 248 atoms. The relaxations use the overlap cleaner, not the GAP as in the thesis: with the
  quickstart GAP (trained on rattled crystals only, so without short-range repulsion for disordered contacts) a
  first run's BFGS relaxations merged atoms (S-S 0.006 A apart), which the builder now refuses;
- sinter: NVT 300 -> 600 -> 300 K in 100 K steps, 0.04 ps per heating step, cooling steps 0.04, 0.06, 0.09 ps
  (175 MD steps of 2 fs);
- production: 0.02 ps NVT + 0.2 ps NVE at 500 K (110 MD steps, frames every 20 fs);
- F(z) of the S sublattice in half-layer slices (4 A), domains, RDFs and Li MSDs per domain, and the F(z) plot,
  written to ``interface_li3ps4_crystallinity.png``.

Honest scale: GAP MD runs at about 100 atom-steps/s per core here, so this 248-atom cell affords about 300 MD
steps (0.57 ps) in all, against the thesis' ~3000 atoms and 150 ps of sintering. The glass has no time to lose the
memory of its placement grid, so F(z) uses S (randomly rotated tetrahedra) rather than the thesis' P, and none of
the numbers is converged; the quickstart GAP saw only rattled gamma-Li3PS4 crystals.
"""
import sys
import time

from aiida import orm
from aiida.engine import run_get_node
from ase.neighborlist import neighbor_list
import numpy as np

from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.workflows.interface import InterfaceWorkChain

OVERRIDES = {
    'build': {'repetitions': [2, 1, 1]},
    'sinter': {'max_temperature_K': 600.0, 'heating_step_ps': 0.04, 'first_cooling_step_ps': 0.04,
               'dump_interval_fs': 10.0},
    'production': {'temperature_K': 500.0, 'equilibration_ps': 0.02, 'production_ps': 0.2, 'dump_interval_fs': 20.0},
    'analysis': {'symbol': 'S', 'slices_per_layer': 2, 'rdf_r_max_A': 6.0, 'rdf_n_bins': 60},
}
PLOT = 'interface_li3ps4_crystallinity.png'

if len(sys.argv) > 1:
    potential = orm.load_node(int(sys.argv[1]))
else:
    newest_first = {'gap': {'ctime': 'desc'}}
    potential = orm.QueryBuilder().append(GapPotentialData, tag='gap').order_by(newest_first).first(flat=True)
if potential is None:
    raise SystemExit('no GapPotentialData in this profile: run `aiida-lps quickstart` first')
builder = InterfaceWorkChain.get_builder_from_protocol(orm.load_code('lmp@localhost'), potential, (0, 1, 0),
                                                       protocol='fast', overrides=OVERRIDES)
start = time.monotonic()
results, node = run_get_node(builder)
print(f'InterfaceWorkChain<{node.pk}> with GapPotentialData<{potential.pk}>: exit {node.exit_status} '
      f'({node.exit_message or "ok"}) after {time.monotonic() - start:.0f} s')
if 'build_info' in results:
    info = results['build_info']
    print(f'built {len(results["structure"].sites)} atoms: crystal {info["crystal_thickness_A"]:.2f} A '
          f'{info["crystal_counts"]}, glass {info["glass_thickness_A"]:.2f} A {info["glass_counts"]} at '
          f'{info["glass_density_g_cm3"]:.3f} g/cm3 after {info["glass_compression_steps"]} compression steps')
for label in ('sintering', 'production'):
    runs = node.base.links.get_outgoing(link_label_filter=label).all_nodes()  # a LammpsMdBaseWorkChain
    if runs and runs[0].called:
        md = max(runs[0].called, key=lambda child: child.ctime)  # its last LammpsMdCalculation
        steps = sum(stage['steps'] for stage in md.inputs.parameters['stages'])
        seconds = (md.mtime - md.ctime).total_seconds()
        print(f'{label}: LammpsMdCalculation<{md.pk}> {steps} MD steps in {seconds:.0f} s')
        if md.is_finished_ok:
            thermo = md.outputs.thermo
            stage, temperature = thermo.get_array('stage'), thermo.get_array('Temp')
            print('  mean T per stage (K): ' + ' '.join(f'{temperature[stage == index].mean():.0f}'
                                                        for index in np.unique(stage)))
            last = md.outputs.trajectory.get_step_structure(md.outputs.trajectory.numsteps - 1).get_ase()
            print(f'  shortest distance in the last frame: {neighbor_list("d", last, 3.0).min():.2f} A')
if 'crystallinity' in results:
    profile, domains = results['crystallinity'], results['domains']
    print('F(z): ' + ' '.join(f'{height:.1f}:{value:.2f}' for height, value in
                              zip(profile.get_array('height_A'), profile.get_array('crystallinity'))))
    print(f'domains: {" | ".join(domains["names"])} at {[round(b, 1) for b in domains["boundaries_A"]]} A; '
          f'interface widths {[round(w, 1) for w in domains["interface_widths_A"]]} A')
    for assignment in ('static', 'dynamic'):
        msd = results[f'msd_{assignment}']
        middle = len(msd.get_array('lag_ps')) // 2
        values = ', '.join(f'{name} {msd.get_array(f"msd_{name}")[middle].sum():.2f}'
                           for name in ('crystal', 'interface', 'glass'))
        print(f'Li MSD ({assignment}) at {msd.get_array("lag_ps")[middle]:.2f} ps, A^2: {values}')
    with open(PLOT, 'wb') as handle:
        handle.write(results['crystallinity_plot'].get_content(mode='rb'))
    print(f'wrote {PLOT}')
else:
    print(f'see the reasons with: verdi process report {node.pk}')
