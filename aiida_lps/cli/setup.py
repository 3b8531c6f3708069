"""``aiida-lps setup``: install and register the real stack. Idempotent: a second run changes nothing."""
import click


@click.command('setup')
@click.option('--skip-apt', is_flag=True, help='Do not install Debian packages even when running as root.')
def setup(skip_apt):
    """Install QE and Chromium, the pseudopotential family, the LAMMPS pair_style quip plugin, the profile and the codes."""
    from aiida_lps.setup import lammps_plugin, profile, quantum_espresso

    summary = []
    if skip_apt:
        summary.append('Debian packages: skipped (--skip-apt)')
    else:
        summary.append(quantum_espresso.ensure_debian_packages())
    path, status = lammps_plugin.build_plugin()
    summary.append(f'LAMMPS pair_style quip plugin: {status} ({path})')
    summary.append(profile.ensure_profile())
    summary.append(quantum_espresso.ensure_pseudo_family())
    computer, status = profile.ensure_computer()
    summary.append(status)
    summary.extend(profile.ensure_codes(computer))
    changed = [line for line in summary if _made_a_change(line)]
    for line in summary:
        click.echo(f'  {line}')
    click.echo('Nothing changed: everything was already set up.' if not changed else f'{len(changed)} change(s) made.')


def _made_a_change(line: str) -> bool:
    markers = ('created', 'installed', 'built', 'relabelled', 'set to', 'configured', 'added')
    return any(marker in line for marker in markers)
