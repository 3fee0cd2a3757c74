"""Tryton (trytond with party, sale, sale_opportunity and sale_complaint): the only module that speaks to it.

JSON-RPC over HTTP to `<url>/<database>/` (trytond 8.2 serves it at `<database>/rpc/`; older servers at
`<database>/` itself, tried when the first answers 404/405), with a user session: `common.db.login` with the
password from TRYTON_URL, then `model.<name>.<method>` calls carrying `Authorization: Session
base64(login:user_id:key)` and the user's preferences as the context (company, employee, language). A session
that expires (401/403) is opened again once.

The mapping, field by field, is in docs/crm.md ("Tryton connector"):
- member ↔ party.party (name; email as a contact mechanism; company as the first address's "party name");
- staff notes and key timeline events → ir.note on the party (idempotent by a key in the note's last line);
- segment → party.category (the members carry the category, nobody else does);
- case ↔ sale.complaint (status ↔ state, through the complaint's buttons; origin = the sale it concerns);
- lead ↔ sale.opportunity (stage ↔ state, value ↔ amount);
- sale.sale → the member's orders (number, date, products, total, state), read only.
"""
from __future__ import annotations

import base64
import datetime
from collections import deque
from decimal import Decimal
from urllib.parse import unquote, urlsplit, urlunsplit

import requests

from .base import Rejected, RemoteCase, RemoteLead, RemoteOrder, RemoteParty, Unavailable

TIMEOUT = 20
COMPLAINT_TYPE = "Community"

# case status -> the complaint state it is pushed to; complaint state -> case status
CASE_TO_TRYTON = {"new": "draft", "open": "waiting", "waiting": "waiting", "resolved": "approved", "closed": "done"}
TRYTON_TO_CASE = {"draft": "new", "waiting": "open", "approved": "resolved", "rejected": "closed", "done": "closed",
                  "cancelled": "closed"}
# the complaint's buttons: (from, to) -> button (only those Tryton shows in that state)
COMPLAINT_BUTTONS = {("draft", "waiting"): "wait", ("waiting", "draft"): "draft", ("waiting", "approved"): "approve",
                     ("waiting", "rejected"): "reject", ("approved", "done"): "process",
                     ("draft", "cancelled"): "cancel", ("waiting", "cancelled"): "cancel",
                     ("done", "draft"): "draft", ("cancelled", "draft"): "draft"}
# lead stage -> opportunity state; opportunity state -> lead stage. "Won" here converts the opportunity into
# a sale (Tryton marks it won itself when that sale is confirmed); both count as won in the bridge.
LEAD_TO_TRYTON = {"new": "lead", "qualified": "opportunity", "won": "converted", "lost": "lost"}
TRYTON_TO_LEAD = {"lead": "new", "opportunity": "qualified", "converted": "won", "won": "won", "lost": "lost",
                  "cancelled": "lost"}
OPPORTUNITY_BUTTONS = {("lead", "opportunity"): "opportunity", ("opportunity", "lead"): "lead",
                       ("lead", "lost"): "lost", ("opportunity", "lost"): "lost", ("lead", "converted"): "convert",
                       ("opportunity", "converted"): "convert", ("lost", "lead"): "lead",
                       ("cancelled", "lead"): "lead"}


def _path(buttons: dict, start: str, goal: str) -> list[str] | None:
    """The shortest run of buttons from state `start` to `goal`, or None when Tryton offers none."""
    seen, queue = {start}, deque([(start, [])])
    while queue:
        state, path = queue.popleft()
        if state == goal:
            return path
        for (source, target), button in buttons.items():
            if source == state and target not in seen:
                seen.add(target)
                queue.append((target, [*path, button]))
    return None


def _encode(value):
    """Python values to Tryton's JSON (Decimal and dates as tagged objects)."""
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    return value


def _decode(value):
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict):
        kind = value.get("__class__")
        if kind == "Decimal":
            return Decimal(value["decimal"])
        if kind == "date":
            return datetime.date(value["year"], value["month"], value["day"])
        if kind == "datetime":
            return datetime.datetime(value["year"], value["month"], value["day"], value.get("hour", 0),
                                     value.get("minute", 0), value.get("second", 0), value.get("microsecond", 0))
        return {key: _decode(item) for key, item in value.items()}
    return value


def _money(value) -> str:
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


class TrytonConnector:
    """A connection to one Tryton database as one user (TRYTON_URL)."""

    name = "tryton"

    def __init__(self, url: str, timeout: float = TIMEOUT):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or not parts.username:
            raise ValueError("TRYTON_URL must look like http://USER:PASSWORD@HOST:PORT/DATABASE/")
        database = parts.path.strip("/")
        if not database or "/" in database:
            raise ValueError("TRYTON_URL must name one database: http://USER:PASSWORD@HOST:PORT/DATABASE/")
        self.login, self.password = unquote(parts.username), unquote(parts.password or "")
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.base = urlunsplit((parts.scheme, netloc, f"/{database}/", "", ""))
        self.endpoint = self.base + "rpc/"
        self.timeout = timeout
        self.http = requests.Session()
        self.http.trust_env = False
        self._session: tuple[int, str] | None = None
        self._context: dict = {}
        self._cache: dict = {}

    def __repr__(self) -> str:  # never the password
        return f"<TrytonConnector {self.login}@{self.base}>"

    # ---- the wire ---------------------------------------------------------------------------------------

    def _post(self, method: str, params: list, auth: bool = True):
        headers = {"Content-Type": "application/json"}
        if auth and self._session:
            token = base64.b64encode(f"{self.login}:{self._session[0]}:{self._session[1]}".encode()).decode()
            headers["Authorization"] = f"Session {token}"
        body = {"id": 1, "method": method, "params": _encode(params)}
        try:
            response = self.http.post(self.endpoint, json=body, headers=headers, timeout=self.timeout)
            if response.status_code in (404, 405) and self.endpoint.endswith("/rpc/"):
                self.endpoint = self.base  # a trytond before 8.2 answers at <database>/
                response = self.http.post(self.endpoint, json=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise Unavailable(f"Tryton cannot be reached: {type(exc).__name__}") from exc
        if response.status_code in (401, 403):
            return PermissionError(response.status_code)
        if response.status_code == 429 or response.status_code >= 500:
            raise Unavailable(f"Tryton answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise Unavailable(f"Tryton answered HTTP {response.status_code} to {method}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise Unavailable("Tryton answered something that is not JSON-RPC") from exc
        if answer.get("error"):
            error = answer["error"]
            message = error[1] if isinstance(error, list) and len(error) > 1 else error
            if isinstance(message, list):
                message = message[0] if message else ""
            raise Rejected(f"{method}: {message}"[:300])
        return _decode(answer.get("result"))

    def _open(self) -> None:
        result = self._post("common.db.login", [self.login, {"password": self.password}], auth=False)
        if isinstance(result, PermissionError) or not result:
            raise Unavailable("Tryton refused the user name or password of TRYTON_URL")
        self._session = (result[0], result[1])
        context = self._post("model.res.user.get_preferences", [True, {}])
        self._context = context if isinstance(context, dict) else {}

    def call(self, model: str, method: str, *args):
        """`model.<model>.<method>(*args)` with the user's context; log in first, and again once if expired."""
        for _attempt in range(2):
            if self._session is None:
                self._open()
            result = self._post(f"model.{model}.{method}", [*args, self._context])
            if not isinstance(result, PermissionError):
                return result
            self._session = None
        raise Unavailable("Tryton refused the session of TRYTON_URL's user")

    def _search_read(self, model: str, domain: list, fields: list[str], limit: int | None = None) -> list[dict]:
        return self.call(model, "search_read", domain, 0, limit, None, fields)

    def ping(self) -> None:
        self.call("res.user", "get_preferences", True)

    # ---- parties ----------------------------------------------------------------------------------------

    def _parties(self, domain: list) -> list[RemoteParty]:
        rows = self._search_read("party.party", domain, ["name", "active", "contact_mechanisms", "addresses"])
        if not rows:
            return []
        mechanisms = {m["id"]: m for m in self._search_read(
            "party.contact_mechanism", [["party", "in", [r["id"] for r in rows]], ["type", "=", "email"]],
            ["party", "value"])}
        addresses = {a["id"]: a for a in self._search_read(
            "party.address", [["party", "in", [r["id"] for r in rows]]], ["party", "party_name", "sequence"])}
        found = []
        for row in rows:
            emails = [mechanisms[m]["value"] for m in row["contact_mechanisms"] if m in mechanisms]
            firsts = [addresses[a] for a in row["addresses"] if a in addresses]
            found.append(RemoteParty(id=row["id"], name=row.get("name") or "", active=bool(row.get("active")),
                                     company=(firsts[0].get("party_name") or "") if firsts else "", emails=emails))
        return found

    def find_parties(self, email: str) -> list[RemoteParty]:
        """Active parties with this email address (compared without case)."""
        return self.find_parties_many([email]).get(email.strip().lower(), [])

    def find_parties_many(self, emails: list[str]) -> dict[str, list[RemoteParty]]:
        """For each address (lower case), the active parties carrying it: one search for a whole batch."""
        wanted = {e.strip().lower() for e in emails if e and e.strip()}
        if not wanted:
            return {}
        clauses = [["value", "ilike", e] for e in sorted(wanted)]
        rows = self._search_read("party.contact_mechanism",
                                 [["type", "=", "email"], ["OR", *clauses] if len(clauses) > 1 else clauses[0]],
                                 ["party", "value"])
        by_email: dict[str, set[int]] = {}
        for row in rows:  # ilike treats _ and % as wildcards: keep exact matches only
            value = (row["value"] or "").strip().lower()
            if value in wanted:
                by_email.setdefault(value, set()).add(row["party"])
        ids = sorted({i for found in by_email.values() for i in found})
        parties = {p.id: p for p in self._parties([["id", "in", ids]])} if ids else {}
        return {email: [parties[i] for i in sorted(found) if i in parties] for email, found in by_email.items()}

    def create_party(self, name: str, email: str, company: str) -> int:
        return self.create_parties([(name, email, company)])[0]

    def create_parties(self, people: list[tuple[str, str, str]]) -> list[int]:
        """Create one party per (name, email, company) in one call; return their ids in order."""
        values = []
        for name, email, company in people:
            value = {"name": name, "contact_mechanisms": [["create", [{"type": "email", "value": email}]]]}
            if company:
                value["addresses"] = [["create", [{"party_name": company}]]]
            values.append(value)
        return self.call("party.party", "create", values) if values else []

    def read_parties(self, ids: list[int]) -> dict[int, RemoteParty]:
        if not ids:
            return {}
        return {p.id: p for p in self._parties([["id", "in", list(ids)], ["active", "in", [True, False]]])}

    def update_party(self, party_id: int, *, name: str | None = None, company: str | None = None) -> None:
        if name is not None:
            self.call("party.party", "write", [party_id], {"name": name})
        if company is not None:
            address = self.call("party.address", "search", [["party", "=", party_id]], 0, 1)
            if address:
                self.call("party.address", "write", address, {"party_name": company})
            elif company:
                self.call("party.address", "create", [{"party": party_id, "party_name": company}])

    def erase_party(self, party_id: int) -> None:
        """Deactivate the party and clear its personal fields (email and other contact mechanisms, address
        lines, name), then run Tryton's own erasure wizard (history, notes, attachments too). Tryton keeps the
        name and addresses of a party with sales (its documents need them) and refuses the wizard while sales
        are pending: those parts are left to Tryton's erasure then, the rest is done."""
        if not self.read_parties([party_id]):
            return  # already gone
        self.call("party.party", "write", [party_id], {"active": False})
        mechanisms = self.call("party.contact_mechanism", "search", [["party", "=", party_id],
                                                                     ["active", "in", [True, False]]])
        steps = [("party.contact_mechanism", "delete", mechanisms)] if mechanisms else []
        addresses = self.call("party.address", "search", [["party", "=", party_id], ["active", "in", [True, False]]])
        if addresses:
            steps.append(("party.address", "write", addresses, {"party_name": "", "street": "", "postal_code": "",
                                                                 "city": "", "active": False}))
        steps.append(("party.party", "write", [party_id], {"name": ""}))
        for model, method, *args in steps:
            try:
                self.call(model, method, *args)
            except Rejected:
                pass
        context = {**self._context, "active_model": "party.party", "active_id": party_id,
                   "active_ids": [party_id]}
        session_id = self._post("wizard.party.erase.create", [context])[0]
        try:
            self._post("wizard.party.erase.execute", [session_id, {"ask": {"party": party_id}}, "erase", context])
        except Rejected:
            pass
        finally:
            self._post("wizard.party.erase.delete", [session_id, context])

    def add_note(self, party_id: int, text: str, key: str) -> None:
        """One ir.note on the party; `key` (its last line) makes a repeated call a no-op."""
        marker = f"[community:{key}]"
        if self.call("ir.note", "search", [["resource", "=", f"party.party,{party_id}"],
                                           ["message", "ilike", f"%{marker}%"]], 0, 1):
            return
        self.call("ir.note", "create", [{"resource": f"party.party,{party_id}", "message": f"{text}\n{marker}"}])

    def set_category(self, name: str, party_ids: list[int]) -> None:
        """The category `name` on exactly these parties (created when missing)."""
        found = self.call("party.category", "search", [["name", "=", name]], 0, 1)
        category = found[0] if found else self.call("party.category", "create", [{"name": name}])[0]
        current = set(self.call("party.party", "search", [["categories", "=", category]]))
        wanted = set(party_ids)
        if wanted - current:
            self.call("party.party", "write", sorted(wanted - current), {"categories": [["add", [category]]]})
        if current - wanted:
            self.call("party.party", "write", sorted(current - wanted), {"categories": [["remove", [category]]]})

    # ---- complaints (cases) ----------------------------------------------------------------------------

    def _complaint_type(self) -> int:
        if "complaint_type" not in self._cache:
            found = self.call("sale.complaint.type", "search", [["name", "=", COMPLAINT_TYPE]], 0, 1)
            if not found:
                model = self.call("ir.model", "search", [["name", "=", "sale.sale"]], 0, 1) or \
                    self.call("ir.model", "search", [["model", "=", "sale.sale"]], 0, 1)
                found = self.call("sale.complaint.type", "create", [{"name": COMPLAINT_TYPE, "origin": model[0]}])
            self._cache["complaint_type"] = found[0]
        return self._cache["complaint_type"]

    def create_case(self, party_id: int, key: str, description: str, order_id: int | None) -> int:
        found = self.call("sale.complaint", "search", [["reference", "=", key]], 0, 1)
        if found:
            return found[0]
        values = {"customer": party_id, "type": self._complaint_type(), "reference": key,
                  "description": description, "company": self._context.get("company")}
        if order_id:
            try:
                return self.call("sale.complaint", "create", [{**values, "origin": f"sale.sale,{order_id}"}])[0]
            except Rejected:
                pass  # Tryton takes only a confirmed sale of this customer as the origin; the description names it
        return self.call("sale.complaint", "create", [values])[0]

    def read_cases(self, ids: list[int]) -> dict[int, RemoteCase]:
        if not ids:
            return {}
        rows = self.call("sale.complaint", "read", list(ids), ["state", "origin"])
        return {r["id"]: RemoteCase(id=r["id"], state=r["state"], status=TRYTON_TO_CASE.get(r["state"], "open"),
                                    order_id=_sale_id(r.get("origin"))) for r in rows}

    def set_case_status(self, case_id: int, status: str) -> None:
        self._drive("sale.complaint", case_id, CASE_TO_TRYTON[status], COMPLAINT_BUTTONS)

    def _drive(self, model: str, record_id: int, goal: str, buttons: dict) -> None:
        """Press the record's buttons until it is in state `goal` (Tryton may move on by itself: an approved
        complaint is processed at once when no queue worker runs, so the state is read again each step)."""
        for _step in range(6):
            state = self.call(model, "read", [record_id], ["state"])[0]["state"]
            if state == goal or (model == "sale.opportunity" and goal == "converted" and state == "won"):
                return
            path = _path(buttons, state, goal)
            if not path:
                raise Rejected(f"{model} {record_id}: Tryton offers no way from {state} to {goal}")
            self.call(model, path[0], [record_id])
        raise Rejected(f"{model} {record_id}: did not reach {goal}")

    # ---- opportunities (leads) -------------------------------------------------------------------------

    def _currency(self, code: str) -> int | None:
        if not code:
            return None
        found = self.call("currency.currency", "search", [["code", "=", code.upper()]], 0, 1)
        return found[0] if found else None

    def create_lead(self, party_id: int, key: str, description: str, value: str, currency: str) -> int:
        found = self.call("sale.opportunity", "search", [["reference", "=", key]], 0, 1)
        if found:
            return found[0]
        values = {"party": party_id, "reference": key, "description": description[:200],
                  "amount": Decimal(value or "0"), "company": self._context.get("company"),
                  "employee": self._context.get("employee")}
        currency_id = self._currency(currency)
        if currency_id:
            values["currency"] = currency_id
        return self.call("sale.opportunity", "create", [{k: v for k, v in values.items() if v is not None}])[0]

    def read_leads(self, ids: list[int]) -> dict[int, RemoteLead]:
        if not ids:
            return {}
        rows = self.call("sale.opportunity", "read", list(ids), ["state", "amount", "currency.code", "sales"])
        return {r["id"]: RemoteLead(id=r["id"], state=r["state"], stage=TRYTON_TO_LEAD.get(r["state"], "new"),
                                    value=_money(r.get("amount")),
                                    currency=((r.get("currency.") or {}).get("code") or ""),
                                    order_id=(r.get("sales") or [None])[0]) for r in rows}

    def update_lead(self, lead_id: int, *, stage: str | None = None, value: str | None = None) -> None:
        if value is not None:
            self.call("sale.opportunity", "write", [lead_id], {"amount": Decimal(value)})
        if stage is not None:
            self._drive("sale.opportunity", lead_id, LEAD_TO_TRYTON[stage], OPPORTUNITY_BUTTONS)

    # ---- orders -----------------------------------------------------------------------------------------

    def orders(self, party_ids: list[int]) -> list[RemoteOrder]:
        if not party_ids:
            return []
        sales = self._search_read("sale.sale", [["party", "in", list(party_ids)]],
                                  ["party", "number", "sale_date", "total_amount", "currency.code", "state", "lines"])
        line_ids = [line for sale in sales for line in sale.get("lines") or []]
        lines = {row["id"]: row for row in (self.call("sale.line", "read", line_ids,
                                                      ["product.rec_name", "description", "quantity"])
                                            if line_ids else [])}
        found = []
        for sale in sales:
            products = []
            for line_id in sale.get("lines") or []:
                line = lines.get(line_id) or {}
                label = (line.get("product.") or {}).get("rec_name") or (line.get("description") or "").strip()
                if label:
                    products.append(label[:120])
            day = sale.get("sale_date")
            number = sale.get("number") or f"#{sale['id']}"  # a draft sale has no number yet
            found.append(RemoteOrder(id=sale["id"], party_id=sale["party"], number=number,
                                     date=day.isoformat() if day else None, amount=_money(sale.get("total_amount")),
                                     currency=((sale.get("currency.") or {}).get("code") or ""),
                                     state=sale.get("state") or "", products=products))
        return found


def _sale_id(origin) -> int | None:
    if isinstance(origin, str) and origin.startswith("sale.sale,"):
        try:
            return int(origin.split(",", 1)[1])
        except ValueError:
            return None
    return None
