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


def unknown_keys(valid: dict, update: dict, defaults: dict, prefix: str = '') -> list[str]:
    """Dotted paths of the keys of ``update`` that ``valid`` does not have, checked inside every dict that
    ``defaults`` fills; a dict that is empty in ``defaults`` takes any keys (e.g. hyperparameter overrides)."""
    unknown = []
    for key, value in update.items():
        if key not in valid:
            unknown.append(f'{prefix}{key}')
        elif isinstance(value, dict) and isinstance(defaults.get(key), dict) and defaults[key]:
            unknown.extend(unknown_keys(valid[key], value, defaults[key], f'{prefix}{key}.'))
    return unknown


class ProtocolMixin:
    """Gives a WorkChain ``get_protocol_inputs``; the class names its YAML file in ``_protocol_file``.

    ``_protocol_extra_keys`` names override keys that are not protocol settings but are read by the class's
    ``get_builder_from_protocol`` (e.g. ``pw_base``, merged into the PwBaseWorkChain inputs).
    """

    _protocol_file: str
    _protocol_extra_keys: tuple[str, ...] = ()

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

        :raises ValueError: for an unknown protocol, listing the available ones, or an override key the protocol does
            not have (a misspelling would otherwise run the default silently), listing the valid ones.
        """
        data = cls._load_protocols()
        protocol = protocol or data['default_protocol']
        if protocol not in data['protocols']:
            raise ValueError(f'unknown protocol {protocol!r}; available: {sorted(data["protocols"])}')
        inputs = recursive_merge(data['default_inputs'], data['protocols'][protocol])
        inputs.pop('description')
        valid = {**inputs, **dict.fromkeys(cls._protocol_extra_keys, {})}
        unknown = unknown_keys(valid, overrides or {}, data['default_inputs'])
        if unknown:
            parents = {path.rpartition('.')[0] for path in unknown}
            keys = sorted(f'{parent}.{key}' if parent else key for parent in parents for key in _at(valid, parent))
            raise ValueError(f'unknown {cls.__name__} protocol override(s) {unknown}; valid: {keys}')
        return recursive_merge(inputs, overrides or {})


def _at(settings: dict, dotted: str) -> dict:
    """The nested dict of ``settings`` at the ``dotted`` path ('' for ``settings`` itself)."""
    for key in filter(None, dotted.split('.')):
        settings = settings[key]
    return settings
