"""Subscribing the bridge's receivers to community signals, once per process, inside app contexts only."""
from __future__ import annotations

from flask import has_app_context


def _guarded(receiver):
    def run(sender, **kwargs):
        if has_app_context():
            receiver(sender, **kwargs)
    run.__name__ = receiver.__name__
    return run


def connect_all(subscriptions: dict) -> None:
    """Connect each {signal: receiver} (signal objects of `community.signals`, never names)."""
    for signal, receiver in subscriptions.items():
        signal.connect(_guarded(receiver), weak=False)  # strong: the wrappers have no other owner
