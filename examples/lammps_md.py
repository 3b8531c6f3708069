"""Short NVT + NVE MD of gamma-Li3PS4 with the newest GAP in the profile. Run: verdi run examples/lammps_md.py"""
from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.calculations.lammps_md import LammpsMdCalculation
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.structures.crystals import get_crystal

potential = orm.QueryBuilder().append(GapPotentialData, tag='gap').order_by({'gap': {'ctime': 'desc'}}).first(flat=True)
if potential is None:
    raise SystemExit('no GapPotentialData in this profile: run `aiida-lps quickstart` first')
builder = LammpsMdCalculation.get_builder()
builder.code = orm.load_code('lmp@localhost')
builder.structure = orm.StructureData(ase=get_crystal('gamma-Li3PS4').repeat((1, 1, 2)))
builder.potential = potential
builder.parameters = orm.Dict({
    'timestep_fs': 2.0, 'initial_temperature_K': 600, 'seed': 42, 'thermo_every': 10, 'dump_every': 10,
    'stages': [
        {'ensemble': 'nvt', 'steps': 100, 'temperature_K': 600, 'damping_fs': 200, 'dump': False},
        {'ensemble': 'nve', 'steps': 200},
    ],
})
results, node = run_get_node(builder)
print(f'LammpsMdCalculation<{node.pk}> exit {node.exit_status}: {node.exit_message or "ok"}')
if node.is_finished_ok:
    thermo, msd = results['thermo'], results['msd']
    print(f'mean T in NVE: {thermo.get_array("Temp")[thermo.get_array("stage") == 1].mean():.0f} K')
    print(f'Li MSD after {msd.get_array("lag_ps")[-1]:.2f} ps: {msd.get_array("msd_Li")[-1].sum():.3f} A^2')
