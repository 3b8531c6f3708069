"""Arrhenius conductivity of gamma-Li3PS4 with a potential of the profile: short GAP runs or long POD/SNAP runs.

Run: verdi run examples/arrhenius_li3ps4.py [POTENTIAL_PK [T_K ...]]

Without POTENTIAL_PK the newest GapPotentialData of the profile is used (after `aiida-lps quickstart`, its GAP).
With a GAP: the ``fast`` protocol at 1100, 1250 and 1400 K, a 32-atom supercell, 2 ps NVT and 20 ps NVE each (about
35 min on 2 cores). With the pk of a PodPotentialData or SnapPotentialData (the fast potentials,
docs/fast_potential.md): four temperatures on a 128-atom supercell, 10 ps NVT and 50 ps NVE each. Temperatures
after the pk replace the defaults.
This demonstrates the workflow; it is not a converged result: the thesis's ``precise`` protocol runs nanoseconds
with a GAP trained on far more data. If the MD lets the PS4 framework fall apart, or heats the NVE runs far above
their temperature by more than 10 %, or turns the crystal into another phase, the workflow flags and excludes
those temperatures instead of fitting them: it stops with exit 410 or 411 and says why. The lines printed are the
work chain's: sigma at each run's mean NVE temperature, E_A and sigma(300 K) with their 95 % Student-t intervals
(log-normal for sigma(300 K)).
"""
import sys
import time

from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.structures.crystals import get_crystal
from aiida_lps.workflows.conductivity import ArrheniusWorkChain, result_line, temperature_line

#: Temperatures (K) and overrides of the ``fast`` protocol (2 fs steps, frames every 20 fs) for a GAP, and for the
#: fast potentials (POD, SNAP: any other kind).
GAP_SETTINGS = ([1100.0, 1250.0, 1400.0], {})
FAST_SETTINGS = ([600.0, 800.0, 1000.0, 1200.0],
                 {'equilibration_ps': 10.0, 'production_ps': 50.0, 'min_atoms': 128, 'dump_interval_fs': 100.0})


def load_potential(arguments):
    """The GAP, POD or SNAP given by pk on the command line, else the newest GapPotentialData in the profile."""
    if arguments:
        return orm.load_node(int(arguments[0]))
    query = orm.QueryBuilder().append(GapPotentialData, tag='gap').order_by({'gap': {'ctime': 'desc'}})
    potential = query.first(flat=True)
    if potential is None:
        raise SystemExit('no GapPotentialData in this profile: run `aiida-lps quickstart` first')
    return potential


potential = load_potential(sys.argv[1:])
temperatures, overrides = GAP_SETTINGS if potential.potential_kind == 'GAP' else FAST_SETTINGS
temperatures = [float(value) for value in sys.argv[2:]] or temperatures
structure = orm.StructureData(ase=get_crystal('gamma-Li3PS4'))
builder = ArrheniusWorkChain.get_builder_from_protocol(
    orm.load_code('lmp@localhost'), structure, potential, temperatures, protocol='fast', overrides=overrides)

start = time.monotonic()
results, node = run_get_node(builder)
print(f'ArrheniusWorkChain<{node.pk}> with {type(potential).__name__}<{potential.pk}>: exit {node.exit_status} '
      f'({node.exit_message or "ok"}) after {time.monotonic() - start:.0f} s')
for conductivity in sorted(results.get('conductivities', {}).values(), key=lambda node: node['temperature_K']):
    print('  ' + temperature_line(conductivity.get_dict()))
if node.is_finished_ok:
    result = results['result']
    print(result_line(result.get_dict()))
    print(f'excluded temperatures: {result["excluded"] or "none"}')
    print(f'Arrhenius plot: verdi node repo cat {results["arrhenius_plot"].pk} arrhenius.png > arrhenius.png')
else:
    print(f'no Arrhenius fit; the reasons: verdi process report {node.pk}')
