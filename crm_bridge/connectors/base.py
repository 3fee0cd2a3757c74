"""The interface every connector implements and the records it exchanges (see the package docstring)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Unavailable(Exception):
    """The CRM cannot be reached or refuses our credentials: the sync pauses until it answers again."""


class Rejected(Exception):
    """The CRM answered but refused this one change (a validation error): the item is retried, then failed."""


@dataclass
class RemoteParty:
    id: int
    name: str = ""
    company: str = ""
    emails: list[str] = field(default_factory=list)
    active: bool = True


@dataclass
class RemoteCase:
    id: int
    status: str            # the bridge's case status (new, open, waiting, resolved, closed)
    state: str             # the CRM's own state, kept to tell its changes from ours
    order_id: int | None = None


@dataclass
class RemoteLead:
    id: int
    stage: str             # the bridge's lead stage (new, qualified, won, lost)
    state: str
    value: str = "0"       # a decimal as text
    currency: str = ""
    order_id: int | None = None


@dataclass
class RemoteOrder:
    id: int
    party_id: int
    number: str
    date: str | None       # ISO date
    amount: str            # a decimal as text
    currency: str
    state: str
    products: list[str] = field(default_factory=list)


class Connector(Protocol):
    """What the sync engine needs from an external CRM (every id is the CRM's own)."""

    name: str

    def ping(self) -> None: ...
    def find_parties(self, email: str) -> list[RemoteParty]: ...
    def find_parties_many(self, emails: list[str]) -> dict[str, list[RemoteParty]]: ...
    def create_party(self, name: str, email: str, company: str) -> int: ...
    def create_parties(self, people: list[tuple[str, str, str]]) -> list[int]: ...
    def read_parties(self, ids: list[int]) -> dict[int, RemoteParty]: ...
    def update_party(self, party_id: int, *, name: str | None = None, company: str | None = None) -> None: ...
    def erase_party(self, party_id: int) -> None: ...
    def add_note(self, party_id: int, text: str, key: str) -> None: ...
    def set_category(self, name: str, party_ids: list[int]) -> None: ...
    def create_case(self, party_id: int, key: str, description: str, order_id: int | None) -> int: ...
    def read_cases(self, ids: list[int]) -> dict[int, RemoteCase]: ...
    def set_case_status(self, case_id: int, status: str) -> None: ...
    def create_lead(self, party_id: int, key: str, description: str, value: str, currency: str) -> int: ...
    def read_leads(self, ids: list[int]) -> dict[int, RemoteLead]: ...
    def update_lead(self, lead_id: int, *, stage: str | None = None, value: str | None = None) -> None: ...
    def orders(self, party_ids: list[int]) -> list[RemoteOrder]: ...

