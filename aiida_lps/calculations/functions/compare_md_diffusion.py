"""Calcfunction: the tracer D of an MLIP and a DFT MD run of one cell and temperature, their ratio, both MSDs."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.md_validation import compare_diffusion
from aiida_lps.calculations.functions.conductivity_at_temperature import unpack_run

__all__ = ('compare_md_diffusion',)


@calcfunction
def compare_md_diffusion(trajectory_mlip: orm.TrajectoryData, thermo_mlip: orm.ArrayData,
                         trajectory_dft: orm.TrajectoryData, thermo_dft: orm.ArrayData, mobile_species: orm.Str,
                         fit_start_ps: orm.Float = None, fit_end_ps: orm.Float = None) -> orm.Dict:
    """D (Angstrom^2/ps) and sigma (S/cm) of each run, D_MLIP / D_DFT with its first-order error, and the carrier MSD
    curves (Angstrom^2 against lag in ps) of both (``aiida_lps.analysis.md_validation.compare_diffusion``).

    :param fit_start_ps: MSD fit window start, ps; None: automatic per run.
    :param fit_end_ps: MSD fit window end, ps; None: half of each run.
    """
    return orm.Dict(compare_diffusion(
        unpack_run(trajectory_mlip, thermo_mlip), unpack_run(trajectory_dft, thermo_dft),
        mobile_species=mobile_species.value, fit_start_ps=None if fit_start_ps is None else fit_start_ps.value,
        fit_end_ps=None if fit_end_ps is None else fit_end_ps.value))
