"""Validate a potential's Li diffusion against pw.x MD: the same 32-atom alpha-Li3PS4 cell at 1000 K, same seed.

Run: verdi run examples/md_validation.py POTENTIAL_PK [PRODUCTION_PS [CRYSTAL [LABELS]]]

POTENTIAL_PK is a GAP, SNAP or POD covering Li, P and S; CRYSTAL a name of the crystal library (default
alpha-Li3PS4) or the PK of a StructureData. ``MdValidationWorkChain`` (docs/aimd.md) runs the cell as given (no
supercell) in LAMMPS with the potential and in pw.x with the DFT settings of the labelling protocol LABELS
(default ``workstation``, the labels of the potentials trained on this machine; ``fast`` for 30/240 Ry at Gamma),
2 fs steps, Andersen (pw.x) or Nose-Hoover (LAMMPS) NVT for PRODUCTION_PS / 20 (2 steps to 1 ps), then PRODUCTION_PS
of NVE (default 20 ps, frames every 10 fs; shorter runs store at least 20 frames). It prints both D, their ratio
with its error, and where the plot of both MSD curves is.

Cost: the pw.x run dominates. At ``fast`` labels one step of the 32-atom cell took 46 s of CPU (162 s of wall time
on the 2 shared cores of this machine; benchmarks/aimd_cost.py), so 20 ps is about 5.6 CPU-days; at
``workstation`` labels expect 100-180 s per step on 1-2 ranks. That is a cluster job (docs/aimd.md, "On a cluster").
A PRODUCTION_PS of 0.04 (20 steps) only checks that everything runs (on a small cell, e.g. the 3-atom Li2S primitive
cell as a StructureData PK); its D values mean nothing.
"""
import sys
import time

from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.structures.crystals import get_crystal
from aiida_lps.workflows.conductivity import MIN_PRODUCTION_FRAMES
from aiida_lps.workflows.md_validation import MdValidationWorkChain

TEMPERATURE_K = 1000.0
TIMESTEP_FS = 2.0
#: Time between stored frames, fs, for runs long enough to store MIN_PRODUCTION_FRAMES frames with it.
DUMP_INTERVAL_FS = 10.0


def md_overrides(production_ps: float, labels: str) -> dict:
    """Protocol overrides (``protocols/conductivity.yaml``) for a run of ``production_ps`` ps of NVE after an NVT of
    a twentieth of it (2 steps to 1 ps), frames every 10 fs or often enough for MIN_PRODUCTION_FRAMES frames."""
    steps_per_frame = max(1, min(round(DUMP_INTERVAL_FS / TIMESTEP_FS),
                                 int(production_ps * 1000.0 / TIMESTEP_FS) // MIN_PRODUCTION_FRAMES))
    return {'timestep_fs': TIMESTEP_FS, 'equilibration_ps': min(1.0, max(2 * TIMESTEP_FS / 1000.0, production_ps / 20)),
            'thermostat_damping_fs': 100.0, 'production_ps': production_ps,
            'dump_interval_fs': steps_per_frame * TIMESTEP_FS, 'labelling_protocol': labels}


arguments = sys.argv[1:]
if not arguments:
    raise SystemExit(__doc__)
potential = orm.load_node(int(arguments[0]))
production_ps = float(arguments[1]) if len(arguments) > 1 else 20.0
crystal = arguments[2] if len(arguments) > 2 else 'alpha-Li3PS4'
labels = arguments[3] if len(arguments) > 3 else 'workstation'
structure = orm.load_node(int(crystal)) if crystal.isdigit() else orm.StructureData(ase=get_crystal(crystal))
builder = MdValidationWorkChain.get_builder_from_protocol(
    orm.load_code('lmp@localhost'), orm.load_code('pw@localhost'), structure, potential, TEMPERATURE_K,
    protocol='fast', overrides=md_overrides(production_ps, labels), options={'max_wallclock_seconds': 86400})
builder.pw_md.max_segments = orm.Int(60)  # pw.x runs of at most 24 h each (each continues the one before)

start = time.monotonic()
results, node = run_get_node(builder)
print(f'MdValidationWorkChain<{node.pk}>: {crystal} ({len(structure.sites)} atoms) at {TEMPERATURE_K:g} K, '
      f'{production_ps:g} ps NVE, {type(potential).__name__}<{potential.pk}> against pw.x ({labels} labels): exit '
      f'{node.exit_status} ({node.exit_message or "ok"}) after {time.monotonic() - start:.0f} s')
if 'result' in results:
    result = results['result']
    for name, title in (('mlip', 'potential'), ('dft', 'pw.x')):
        run = result[name]
        print(f'  {title}: D = {run["diffusivity_A2_per_ps"]:.3g} +- {run["diffusivity_err_A2_per_ps"]:.2g} A^2/ps at '
              f'{run["temperature_K"]:.0f} K' + ('' if run['is_diffusive'] else f' ({run["not_diffusive_reason"]})'))
    ratio = ('undefined (a D is not positive)' if result['ratio'] is None
             else f'{result["ratio"]:.3g} +- {result["ratio_err"]:.2g}')
    print(f'  D_potential / D_pw.x = {ratio}')
    print(f'MSD plot: verdi node repo cat {results["msd_plot"].pk} msd_mlip_dft.png > msd_mlip_dft.png; report: '
          f'aiida-lps report {node.pk}')
else:
    print(f'no comparison; the reasons: verdi process report {node.pk}')
