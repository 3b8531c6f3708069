"""Protocols: one YAML file per WorkChain with ``default_inputs`` and named protocols (``fast``, ``precise``).

Each protocol lists only what it changes from ``default_inputs`` plus a ``description``; keys carry their unit.
"""
from __future__ import annotations

import copy
import pathlib

import yaml

PROTOCOL_FOLDER = pathlib.Path(__file__).parent


def recursive_merge(base: dict, update: dict) -> dict:
    """Return a copy of ``base`` with ``update`` merged in; nested dicts merge, everything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = recursive_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class ProtocolMixin:
    """Gives a WorkChain ``get_protocol_inputs``; the class names its YAML file in ``_protocol_file``."""

    _protocol_file: str

    @classmethod
    def _load_protocols(cls) -> dict:
        with (PROTOCOL_FOLDER / cls._protocol_file).open() as handle:
            return yaml.safe_load(handle)

    @classmethod
    def get_available_protocols(cls) -> dict:
        """Protocol name -> description."""
        return {name: values['description'] for name, values in cls._load_protocols()['protocols'].items()}

    @classmethod
    def get_protocol_inputs(cls, protocol: str | None = None, overrides: dict | None = None) -> dict:
        """The default inputs merged with ``protocol`` (default: the file's ``default_protocol``) and ``overrides``.

        :raises ValueError: for an unknown protocol, listing the available ones.
        """
        data = cls._load_protocols()
        protocol = protocol or data['default_protocol']
        if protocol not in data['protocols']:
            raise ValueError(f'unknown protocol {protocol!r}; available: {sorted(data["protocols"])}')
        inputs = recursive_merge(data['default_inputs'], data['protocols'][protocol])
        inputs.pop('description')
        return recursive_merge(inputs, overrides or {})
