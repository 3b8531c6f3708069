"""``MdValidationWorkChain`` (``lps.md_validation``): a potential's Li diffusion against DFT MD on the same cell.

The same starting cell, temperature, MD settings and velocity seed run twice at once: in LAMMPS with the potential
(``LammpsMdBaseWorkChain``: Nose-Hoover NVT, NVE) and in pw.x (``PwMdWorkChain``: Andersen NVT, NVE) with the DFT
settings of the labels. ``compare_md_diffusion`` analyses both as ``ArrheniusWorkChain`` does and gives both D,
D_MLIP / D_DFT with its error and both MSD curves; ``md_validation_plot`` draws the curves in one plot. The seed
fixes each engine's starting velocities (the two engines draw them differently), so the runs are two samples of
the same state, not one trajectory.
"""
from __future__ import annotations

from aiida import orm
from aiida.engine import ToContext, WorkChain

from aiida_lps.calculations.functions.compare_md_diffusion import compare_md_diffusion
from aiida_lps.calculations.functions.md_validation_plot import md_validation_plot
from aiida_lps.calculations.pw_md import timestep_problem
from aiida_lps.data.potentials import PotentialData
from aiida_lps.workflows.conductivity import (
    ENGINES,
    ArrheniusWorkChain,
    md_run_inputs,
    missing_pw_md_settings,
)
from aiida_lps.workflows.lammps_md_base import md_options

__all__ = ('MdValidationWorkChain',)

#: Child link label -> engine of ``ArrheniusWorkChain``.
RUNS = {'md_mlip': 'lammps', 'md_dft': 'pw'}


def validate_inputs(inputs, _):
    """The potential covers the cell, the DFT settings are there, the time step is within the Li bound."""
    if not {'structure', 'potential', 'md'} <= set(inputs):
        return None
    symbols = inputs['structure'].get_ase().get_chemical_symbols()
    missing = sorted(set(symbols) - set(inputs['potential'].species))
    if missing:
        return f'the structure contains {missing}, which the potential<{inputs["potential"].pk}> was not trained on'
    return missing_pw_md_settings(inputs) or timestep_problem(inputs['md']['timestep_fs'].value, symbols)


class MdValidationWorkChain(WorkChain):
    """D (Angstrom^2/ps) of one cell at one temperature with a potential and with pw.x, their ratio, both MSDs."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('structure', valid_type=orm.StructureData, help='The starting cell of both runs, Angstrom.')
        spec.input('temperature_K', valid_type=orm.Float, help='Temperature of both runs, K.')
        spec.input('potential', valid_type=PotentialData, help='The GAP, SNAP or POD to validate.')
        spec.input('lammps_code', valid_type=orm.AbstractCode, help='LAMMPS (lmp).')
        spec.input('pw_code', valid_type=orm.AbstractCode, help='pw.x.')
        spec.expose_inputs(ArrheniusWorkChain, include=('md', 'pw_md', 'mobile_species', 'fit_start_ps',
                                                        'fit_end_ps'))
        spec.inputs.validator = validate_inputs
        spec.outline(cls.run_md, cls.compare)
        spec.output('result', valid_type=orm.Dict,
                    help='mlip and dft: D (Angstrom^2/ps), sigma (S/cm), errors, window, mean temperature (K); ratio '
                         'D_MLIP / D_DFT with its error; lag_ps and both carrier MSD curves (Angstrom^2).')
        spec.output('msd_plot', valid_type=orm.SinglefileData, help='Both MSD curves in one plot (PNG).')
        spec.exit_code(310, 'ERROR_MLIP_MD_FAILED', message='the MD with the potential failed: {message}')
        spec.exit_code(311, 'ERROR_DFT_MD_FAILED', message='the pw.x MD failed: {message}')

    @classmethod
    def get_builder_from_protocol(cls, lammps_code, pw_code, structure, potential, temperature_K: float,
                                  protocol: str | None = None, overrides: dict | None = None,
                                  options: dict | None = None):
        """Builder with the MD settings and DFT labels of an ``ArrheniusWorkChain`` protocol (``protocols/
        conductivity.yaml``; ``overrides`` as there, ``production_ps`` is the length of both runs)."""
        inputs = ArrheniusWorkChain.get_protocol_inputs(protocol, overrides)
        builder = cls.get_builder()
        builder.structure, builder.potential = structure, potential
        builder.temperature_K = orm.Float(temperature_K)
        builder.lammps_code, builder.pw_code = lammps_code, pw_code
        options = md_options(inputs['max_wallclock_seconds'], options)
        builder.md = ArrheniusWorkChain.md_inputs(inputs)
        builder.md.lammps.metadata.options.update(options)
        builder.pw_md = {**ArrheniusWorkChain.pw_md_inputs(pw_code, structure, inputs), 'options': options}
        return builder

    def run_md(self):
        """The MD with the potential and the pw.x MD, at once, with the same seed."""
        codes = {'lammps': self.inputs.lammps_code, 'pw': self.inputs.pw_code}
        futures = {}
        for label, engine in RUNS.items():
            inputs = md_run_inputs(engine, codes[engine], self.inputs.structure, self.inputs.temperature_K.value,
                                   self.inputs.md.seed.value, self.inputs.md, label, potential=self.inputs.potential,
                                   pw_md=dict(self.inputs.pw_md))
            futures[label] = self.submit(ENGINES[engine], **inputs)
        self.report(f'launched the potential\'s MD<{futures["md_mlip"].pk}> and the pw.x MD<{futures["md_dft"].pk}> '
                    f'at {self.inputs.temperature_K.value:g} K, seed {self.inputs.md.seed.value}')
        return ToContext(**futures)

    def compare(self):
        """Both D, their ratio and both MSD curves; the plot."""
        for label, exit_code in (('md_mlip', self.exit_codes.ERROR_MLIP_MD_FAILED),
                                 ('md_dft', self.exit_codes.ERROR_DFT_MD_FAILED)):
            child = self.ctx[label]
            if not child.is_finished_ok:
                return exit_code.format(message=f'{child.process_label}<{child.pk}> exit {child.exit_status}: '
                                                f'{child.exit_message}')
        window = {name: self.inputs[name] for name in ('fit_start_ps', 'fit_end_ps') if name in self.inputs}
        result = compare_md_diffusion(
            self.ctx.md_mlip.outputs.trajectory, self.ctx.md_mlip.outputs.thermo, self.ctx.md_dft.outputs.trajectory,
            self.ctx.md_dft.outputs.thermo, self.inputs.mobile_species, **window,
            metadata={'call_link_label': 'compare_diffusion'})
        self.out('result', result)
        self.out('msd_plot', md_validation_plot(result, metadata={'call_link_label': 'msd_plot'}))
        ratio = ('undefined (a D is not positive)' if result['ratio'] is None
                 else f'{result["ratio"]:.3g} +- {result["ratio_err"]:.2g}')
        self.report(f'D_MLIP = {result["mlip"]["diffusivity_A2_per_ps"]:.3g} +- '
                    f'{result["mlip"]["diffusivity_err_A2_per_ps"]:.2g}, D_DFT = '
                    f'{result["dft"]["diffusivity_A2_per_ps"]:.3g} +- {result["dft"]["diffusivity_err_A2_per_ps"]:.2g} '
                    f'A^2/ps at {result["mlip"]["temperature_K"]:.0f} and {result["dft"]["temperature_K"]:.0f} K; '
                    f'D_MLIP / D_DFT = {ratio}')
        return None
