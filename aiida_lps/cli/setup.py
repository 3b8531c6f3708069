"""``aiida-lps setup``: install and register the real stack. Idempotent: a second run changes nothing."""
import click


@click.command('setup')
@click.option('--skip-apt', is_flag=True, help='Do not install Debian packages even when running as root.')
@click.option('--computer', 'computer_label', metavar='NAME',
              help='Only create and check the pw, gap_fit and lmp codes on this AiiDA computer (a cluster: create it '
                   'first with `verdi computer setup` and `verdi computer configure`, docs/cluster.md).')
@click.option('--pw', metavar='PATH', help='With --computer: pw.x on that computer (default: this machine\'s).')
@click.option('--gap-fit', metavar='PATH', help='With --computer: gap_fit on that computer (default: this machine\'s).')
@click.option('--lmp', metavar='PATH', help='With --computer: LAMMPS with pair_style quip on that computer (default: '
              'this machine\'s).')
@click.option('--prepend-text', metavar='TEXT', help='With --computer: shell lines every code runs first (e.g. '
              '`module load ...`), instead of this machine\'s MPI settings.')
def setup(skip_apt, computer_label, pw, gap_fit, lmp, prepend_text):
    """Install QE and Chromium, the pseudopotential family, the LAMMPS pair_style quip plugin, the profile and
    the codes.

    With --computer NAME: create the pw, gap_fit and lmp codes on that computer instead, each after checking there,
    through the computer's transport, that it runs (and that LAMMPS has pair_style quip); a code that does not is
    reported with its fix, not created, and the command exits with status 1.
    """
    from aiida_lps.setup import lammps_plugin, profile, quantum_espresso

    if computer_label:
        _setup_computer(computer_label, {'pw': pw, 'gap_fit': gap_fit, 'lmp': lmp}, prepend_text)
        return
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


def _setup_computer(label: str, executables: dict, prepend_text: str | None) -> None:
    """``aiida-lps setup --computer``: check and create the codes on computer ``label``; exit 1 on any problem."""
    from aiida.common.exceptions import NotExistent
    from aiida.orm import Computer, User

    from aiida_lps.setup import profile, remote_codes

    click.echo(f'  {profile.ensure_profile()}')
    try:
        computer = Computer.collection.get(label=label)
    except NotExistent:
        raise click.ClickException(f'computer {label} does not exist: create it with `verdi computer setup` and '
                                   f'`verdi computer configure` (docs/cluster.md), then run this again')
    if not computer.is_user_configured(User.collection.get_default()):
        raise click.ClickException(f'computer {label} is not configured: run `verdi computer configure '
                                   f'{computer.transport_type} {label}`, then this again')
    specs = remote_codes.remote_code_specs({key: path for key, path in executables.items() if path}, prepend_text)
    lines, problems = remote_codes.ensure_remote_codes(computer, specs)
    for line in lines:
        click.echo(f'  {line}')
    for problem in problems:
        click.echo(f'  MISSING: {problem}', err=True)
    if problems:
        raise SystemExit(1)
