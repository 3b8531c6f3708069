"""Calcfunction: ensemble diffusion coefficient, conductivity, Haven ratio and matrix-flow check at one temperature."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.conductivity_summary import summarise_temperature

#: Keyword prefixes of the per-structure inputs, so that structure labels cannot clash with the other arguments.
TRAJECTORY_PREFIX = 'trajectory_'
THERMO_PREFIX = 'thermo_'
STRUCTURE_PREFIX = 'structure_'


@calcfunction
def conductivity_at_temperature(temperature_K: orm.Float, mobile_species: orm.Str, charge: orm.Float,
                                max_temperature_deviation: orm.Float, fit_start_ps: orm.Float = None,
                                fit_end_ps: orm.Float = None, **runs: orm.Data) -> orm.Dict:
    """Tracer D (Angstrom^2/ps, cm^2/s) and Nernst-Einstein sigma (S/cm, at each run's mean NVE temperature) with
    errors, D_sigma and the Haven ratio where meaningful, the P/S matrix-flow verdict, the phase each crystal
    ended in and the NVE temperature check, averaged over the structures
    whose MD ran at ``temperature_K`` (``aiida_lps.analysis.conductivity_summary.summarise_temperature``).

    The errors are those of a random-walk GLS fit of the MSD, which accounts for the correlation between
    overlapping time origins, combined over the ensemble (never smaller than the scatter between structures).

    :param max_temperature_deviation: largest accepted |<T_NVE> - T| / T of a run.
    :param fit_start_ps: MSD fit window start, ps; None: automatic (``aiida_lps.analysis.diffusion``).
    :param fit_end_ps: MSD fit window end, ps; None: half the trajectory.
    :param runs: per structure ``<label>``: ``trajectory_<label>``, the unwrapped production trajectory
        (``TrajectoryData``, Angstrom, times in ps), and ``thermo_<label>``, the thermo table of the same
        ``LammpsMdCalculation`` (``ArrayData``; its last stage is the production run), and optionally
        ``structure_<label>``, the ``StructureData`` the MD started from (phase guard).
    """
    unpacked = {}
    for key, trajectory in runs.items():
        if not key.startswith(TRAJECTORY_PREFIX):
            continue
        label = key.removeprefix(TRAJECTORY_PREFIX)
        unpacked[label] = unpack_run(trajectory, runs[THERMO_PREFIX + label])
        if STRUCTURE_PREFIX + label in runs:
            unpacked[label]['starting_structure'] = runs[STRUCTURE_PREFIX + label].get_ase()
    return orm.Dict(summarise_temperature(
        unpacked, temperature_K.value, mobile_species=mobile_species.value, charge=charge.value,
        fit_start_ps=_value(fit_start_ps), fit_end_ps=_value(fit_end_ps),
        max_temperature_deviation=max_temperature_deviation.value,
    ))


def unpack_run(trajectory: orm.TrajectoryData, thermo: orm.ArrayData) -> dict:
    """One MD run as ``summarise_temperature`` reads it: positions, symbols, cells, times and the temperatures of
    the production (last) stage of ``thermo``."""
    stage = thermo.get_array('stage')
    return {'positions_A': trajectory.get_positions(), 'symbols': list(trajectory.symbols),
            'cells_A': trajectory.get_cells(), 'times_ps': trajectory.get_times(),
            'production_temperatures_K': thermo.get_array('Temp')[stage == stage.max()]}


def _value(node):
    """The value of an optional Float input, or None."""
    return None if node is None else node.value
