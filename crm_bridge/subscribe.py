"""Subscribing the bridge's receivers to community signals, once per process, inside app contexts only."""
from __future__ import annotations

from flask import has_app_context

from community import signals


def _guarded(receiver):
    def run(sender, **kwargs):
        if has_app_context():
            receiver(sender, **kwargs)
    run.__name__ = receiver.__name__
    return run


def connect_all(subscriptions: dict) -> None:
    """Connect each {signal name: receiver}; signals a community area has not added yet are skipped."""
    for name, receiver in subscriptions.items():
        signal = getattr(signals, name, None)
        if signal is not None:
            signal.connect(_guarded(receiver), weak=False)  # strong: the wrappers have no other owner
