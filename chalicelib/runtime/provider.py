"""Lazily built services for the Lambda process; tests and the local stack may install their own."""

from __future__ import annotations

from chalicelib.runtime.services import Services

__all__ = ["current_services", "install_services", "reset_services"]

_installed: Services | None = None


def current_services() -> Services:
    """Build on first use (not at import) so cold start stays cheap and tests can set the environment first."""
    global _installed
    if _installed is None:
        from chalicelib.config import Settings
        from chalicelib.runtime.services import build_services

        _installed = build_services(Settings.from_env())
    return _installed


def install_services(services: Services) -> None:
    global _installed
    _installed = services


def reset_services() -> None:
    global _installed
    _installed = None
