"""Connectors to external CRMs: one module per CRM, one interface for all.

The sync engine (crm_bridge/sync.py) speaks to a CRM only through a `Connector`: plain records in the
bridge's own vocabulary (case statuses, lead stages, an order's number and lines) go in and come out, and
the connector module maps them to its CRM's models and wire protocol. Tryton is the one there is today
(`tryton.py`); Salesforce, HubSpot or Odoo would each be one more module implementing the same protocol,
chosen in `from_url` by the URL's scheme or a setting. docs/crm.md, "Tryton connector".
"""
from __future__ import annotations

from .base import Connector, Rejected, RemoteCase, RemoteLead, RemoteOrder, RemoteParty, Unavailable
from .tryton import TrytonConnector

__all__ = ["Connector", "Rejected", "RemoteCase", "RemoteLead", "RemoteOrder", "RemoteParty", "Unavailable",
           "TrytonConnector", "from_url"]


def from_url(url: str | None) -> Connector | None:
    """The connector a configured URL names (TRYTON_URL today), or None when no external CRM is set."""
    if not url:
        return None
    return TrytonConnector(url)
