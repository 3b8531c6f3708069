"""The production services for tests: a throwaway PostgreSQL + RabbitMQ profile with its own daemon.

Needs PostgreSQL at 127.0.0.1:5432 (trust authentication for the user postgres or root) and RabbitMQ at
127.0.0.1:5672 (guest/guest); ``UNREACHABLE`` names those that are not, for a ``skipif``. Everything made here has a
unique name (database, profile in a temporary AiiDA folder, broker queues and exchanges) and is removed afterwards,
even on failure; only the daemon started in the profile is stopped. ``zeromq_daemon_profile`` needs no services
(SQLite storage, aiida-core's ZeroMQ broker, which its daemon starts), so a daemon test runs on a clean machine too.

The profile is made with `verdi profile setup`, as a user would: a pytest test profile would make RabbitMQ delete
the task queue when the last worker disconnects (kiwipy's testing mode), so no process would survive a restart.
Fixtures ``throwaway_database`` and ``daemon_profile`` are registered in ``tests/conftest.py``.
"""
import asyncio
import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time

import pytest

SERVICES = {'PostgreSQL': 5432, 'RabbitMQ': 5672}
POSTGRES_USERS = ('postgres', 'root')
BROKER_URL = 'amqp://guest:guest@127.0.0.1:5672/'
#: Seconds a waiting step may take on a loaded 2-core machine.
TIMEOUT_S = 240


def unreachable_services() -> list[str]:
    unreachable = []
    for name, port in SERVICES.items():
        try:
            socket.create_connection(('127.0.0.1', port), timeout=2).close()
        except OSError:
            unreachable.append(f'{name} at 127.0.0.1:{port}')
    return unreachable


UNREACHABLE = unreachable_services()


def verdi(*arguments: str) -> str:
    """Run ``verdi`` of this environment (configuration from the environment's ``AIIDA_PATH``); return stdout."""
    bin_folder = os.path.dirname(sys.executable)  # the daemon looks for `verdi` on PATH
    env = {**os.environ, 'PATH': f'{bin_folder}{os.pathsep}{os.environ.get("PATH", "")}'}
    result = subprocess.run([os.path.join(bin_folder, 'verdi'), *arguments], env=env, capture_output=True, text=True,
                            timeout=TIMEOUT_S, check=False)
    if result.returncode:
        raise RuntimeError(f'verdi {" ".join(arguments)} failed ({result.returncode}): {result.stdout}{result.stderr}')
    return result.stdout


def _postgres_connection():
    """An autocommit connection to the server's ``postgres`` database as the first user that trust admits."""
    import psycopg

    errors = []
    for user in POSTGRES_USERS:
        try:
            return psycopg.connect(host='127.0.0.1', port=5432, user=user, dbname='postgres', autocommit=True), user
        except psycopg.OperationalError as exception:
            errors.append(f'{user}: {exception}')
    pytest.skip(f'PostgreSQL at 127.0.0.1:5432 admits none of {POSTGRES_USERS} without a password: {errors}')


@pytest.fixture
def throwaway_database():
    """A new, empty PostgreSQL database with a unique name; dropped afterwards (with any open connection)."""
    connection, user = _postgres_connection()
    name = f'aiida_lps_daemon_test_{secrets.token_hex(6)}'
    with connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {'name': name, 'user': user}
    finally:
        connection, _ = _postgres_connection()
        with connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def daemon_profile(throwaway_database, aiida_config_factory, tmp_path):
    """A core.psql_dos + RabbitMQ profile in a temporary AiiDA folder, loaded; afterwards its daemon is stopped and
    its broker entities deleted."""
    storage = ('core.psql_dos', '--broker', 'core.rabbitmq', '--database-hostname', '127.0.0.1',
               '--database-port', '5432', '--database-username', throwaway_database['user'],
               '--database-password', 'unused-with-trust', '--database-name', throwaway_database['name'],
               '--repository-uri', f'file://{tmp_path / "repository"}')
    profile = None
    try:
        with _throwaway_profile(aiida_config_factory, tmp_path, storage) as profile:
            yield profile
    finally:
        if profile is not None:
            asyncio.run(_delete_broker_entities(profile.uuid))


@pytest.fixture
def zeromq_daemon_profile(aiida_config_factory, tmp_path):
    """A core.sqlite_dos + ZeroMQ profile in a temporary AiiDA folder (no services needed: the daemon starts the
    broker), loaded; afterwards its daemon (and with it the broker) is stopped."""
    storage = ('core.sqlite_dos', '--broker', 'core.zeromq', '--filepath', str(tmp_path / 'storage'))
    with _throwaway_profile(aiida_config_factory, tmp_path, storage) as profile:
        yield profile


@contextlib.contextmanager
def _throwaway_profile(aiida_config_factory, tmp_path, storage: tuple[str, ...]):
    """Profile ``lps-daemon-test-<hex>`` made by `verdi profile setup` with ``storage`` (the storage plugin and its
    options, the broker) in a temporary AiiDA folder, loaded; its daemon is stopped on exit, even on failure."""
    from aiida.engine.daemon.client import get_daemon_client
    from aiida.manage.configuration import get_config, profile_context, reset_config

    name = f'lps-daemon-test-{secrets.token_hex(4)}'
    with aiida_config_factory(tmp_path / 'aiida'):
        verdi('profile', 'setup', *storage, '--non-interactive', '--profile-name', name, '--no-set-as-default',
              '--email', 'daemon-test@aiida-lps', '--first-name', 'daemon', '--last-name', 'test',
              '--institution', 'aiida-lps')
        verdi('-p', name, 'config', 'set', 'daemon.timeout', '60')  # circus answers slowly on a loaded machine
        reset_config()
        get_config()
        try:
            with profile_context(name, allow_switch=True) as profile:
                yield profile
        finally:
            if get_daemon_client(name).is_daemon_running:
                verdi('-p', name, 'daemon', 'stop')


async def _delete_broker_entities(profile_uuid: str):
    """Delete the durable queue and exchanges RabbitMQ keeps for a profile (named ``aiida-<profile uuid>.*``)."""
    import aio_pika
    from aiida.brokers.rabbitmq.defaults import LAUNCH_QUEUE, MESSAGE_EXCHANGE, TASK_EXCHANGE

    prefix = f'aiida-{profile_uuid}'
    connection = await aio_pika.connect(BROKER_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(f'{prefix}.{LAUNCH_QUEUE}')
        for exchange in (MESSAGE_EXCHANGE, TASK_EXCHANGE):
            await channel.exchange_delete(f'{prefix}.{exchange}')


def start_daemon(profile_name: str, workers: int = 2) -> None:
    """`verdi daemon start` of the loaded profile ``profile_name``, then wait until its broker answers: the ZeroMQ
    broker, which the daemon starts, can take longer than aiida-core's 10 s to be ready on a loaded machine."""
    verdi('-p', profile_name, 'daemon', 'start', str(workers))
    wait_for(_broker_answers, 'the broker to answer', profile_name)


def _broker_answers() -> bool:
    from aiida.manage import get_manager

    try:
        get_manager().get_communicator()
    except ConnectionError:
        return False
    return True


def wait_for(condition, what: str, profile_name: str, timeout_s: float = TIMEOUT_S):
    """Poll ``condition`` every second; after ``timeout_s`` (s) raise with the process list and the daemon log's
    tail."""
    from aiida.engine.daemon.client import get_daemon_client

    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            log_file = get_daemon_client(profile_name).daemon_log_file
            log = open(log_file).read()[-3000:] if os.path.exists(log_file) else '(no daemon log)'
            processes = verdi('-p', profile_name, 'process', 'list', '-a')
            raise TimeoutError(f'{what} did not happen within {timeout_s} s\n{processes}\ndaemon log tail:\n{log}')
        time.sleep(1.0)
