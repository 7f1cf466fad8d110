"""The one place that knows every channel kind. The inbox reaches connectors only through here."""

from __future__ import annotations

from ruamchat.connectors.base import Connector

_connectors: dict[str, Connector] = {}


def register(connector: Connector) -> None:
    existing = _connectors.get(connector.kind)
    if existing is not None and type(existing) is not type(connector):
        raise ValueError(f"channel kind {connector.kind!r} registered twice")
    _connectors[connector.kind] = connector


def get(kind: str) -> Connector:
    try:
        return _connectors[kind]
    except KeyError:
        raise LookupError(f"no connector for channel kind {kind!r}") from None


def kinds() -> list[str]:
    return sorted(_connectors)


def all_connectors() -> list[Connector]:
    return [_connectors[k] for k in kinds()]
