"""Arrhenius conductivity of gamma-Li3PS4 with a potential of the profile: short GAP runs or long POD/SNAP runs.

Run: verdi run examples/arrhenius_li3ps4.py [POTENTIAL_PK [T_K ...]]

Without POTENTIAL_PK the newest GapPotentialData of the profile is used (after `aiida-lps quickstart`, its GAP).
With a GAP: the ``fast`` protocol at 1100, 1250 and 1400 K, a 32-atom supercell, 2 ps NVT and 20 ps NVE each
(about 35 min on 2 cores). With the pk of a PodPotentialData or SnapPotentialData (the fast potentials, docs/fast_potential.md): four temperatures on a
128-atom supercell, 10 ps NVT and 50 ps NVE each. Temperatures after the pk replace the defaults.
This demonstrates the workflow; it is not a converged result: the thesis's ``precise`` protocol runs nanoseconds
with a GAP trained on far more data. If the MD lets the PS4 framework fall apart, or heats the NVE runs far above
their temperature, the workflow flags and excludes those temperatures instead of fitting them: it stops with
exit 410 or 411 and says why.
"""
import math
import sys
import time

from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.data.lammps_potential import LammpsFilesPotentialData
from aiida_lps.structures.crystals import get_crystal
from aiida_lps.workflows.conductivity import ArrheniusWorkChain

#: Temperatures (K) and overrides of the ``fast`` protocol (2 fs steps, frames every 20 fs) for a GAP, and for the
#: fast linear potentials (POD, SNAP).
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
temperatures, overrides = FAST_SETTINGS if isinstance(potential, LammpsFilesPotentialData) else GAP_SETTINGS
temperatures = [float(value) for value in sys.argv[2:]] or temperatures
structure = orm.StructureData(ase=get_crystal('gamma-Li3PS4'))
builder = ArrheniusWorkChain.get_builder_from_protocol(
    orm.load_code('lmp@localhost'), structure, potential, temperatures, protocol='fast', overrides=overrides)

start = time.monotonic()
results, node = run_get_node(builder)
print(f'ArrheniusWorkChain<{node.pk}> with {type(potential).__name__}<{potential.pk}>: exit {node.exit_status} '
      f'({node.exit_message or "ok"}) after {time.monotonic() - start:.0f} s')
for conductivity in sorted(results.get('conductivities', {}).values(), key=lambda node: node['temperature_K']):
    head = f'  {conductivity["temperature_K"]:g} K (NVE mean {conductivity["production_temperature_K"]:.0f} K): '
    if conductivity['is_diffusive']:
        head += (f'D = {conductivity["diffusivity_A2_per_ps"]:.3g} +- {conductivity["diffusivity_err_A2_per_ps"]:.2g} '
                 f'A^2/ps, sigma = {conductivity["conductivity_S_per_cm"]:.3g} +- '
                 f'{conductivity["conductivity_err_S_per_cm"]:.2g} S/cm')
    else:
        head += 'Li MSD not diffusive'
    if conductivity['matrix_flowing']:
        head += f'; P/S matrix flows ({conductivity["matrix_flow_reason"]})'
    if conductivity['temperature_off']:
        head += f'; MD temperature off ({conductivity["temperature_off_reason"]})'
    print(head)
if node.is_finished_ok:
    result = results['result']
    print(f'E_A = {result["activation_energy_eV"]:.3f} +- {result["activation_energy_err_eV"]:.3f} eV')
    sigma_rt, sigma_rt_err = result['conductivity_300K_S_per_cm'], result['conductivity_300K_err_S_per_cm']
    log_err = sigma_rt_err / sigma_rt  # standard error of ln(sigma)
    print(f'sigma(300 K) = {sigma_rt:.3g} +- {sigma_rt_err:.2g} S/cm (first order); one-sigma range of the '
          f'log-normal: {sigma_rt * math.exp(-log_err):.2g} to {sigma_rt * math.exp(log_err):.2g} S/cm')
    print(f'excluded temperatures: {result["excluded"] or "none"}')
    print(f'Arrhenius plot: verdi node repo cat {results["arrhenius_plot"].pk} arrhenius.png > arrhenius.png')
else:
    print(f'no Arrhenius fit; the reasons: verdi process report {node.pk}')
