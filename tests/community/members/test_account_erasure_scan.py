"""Account deletion leaves no copy of the member's identity: every table and every file is scanned.

A member with data everywhere (posts, votes, notifications, mail sent and written to files, webhook
outbox events, a brand CRM contact with company and phone, staff audit lines that searched for her,
search index documents) deletes her account. Then every table of the metadata (all columns, as
text) and the instance folder's mail files are searched for her username, email, display name,
company and phone, and the search index is queried for her. Posts stay (shown under "Deleted
member"); their text is hers and contains none of these here (docs/security.md, "Account deletion").
"""
from __future__ import annotations

import email
import json
import subprocess
import sys
from email import policy
from pathlib import Path

from sqlalchemy import select
from whoosh.query import Term

from community import search
from community.extensions import db as _db
from community.mail import delivery
from community.mail.models import MailMessage
from community.members.models import Role
from community.search.backends.whoosh import IndexUnavailable, service
from crm_bridge.contacts import import_contacts
from tests import factories
from tests.conftest import Auth
from tests.crm_bridge.test_contacts import verify

USERNAME = "zephyrine"
EMAIL = "zeph.q@quokka-widgets.example"
DISPLAY = "Zephyrine Quillfeather"
COMPANY = "Quokka Widgets Ltd"
PHONE = "+44 20 7946 0958"
CONTACT_NAME = "Zeph Quillfeather-Ortiz"
IDENTIFIERS = (USERNAME, EMAIL, DISPLAY, COMPANY, PHONE, CONTACT_NAME)


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _database_hits() -> list[str]:
    hits = []
    for table in _db.metadata.sorted_tables:
        for row in _db.session.execute(select(table)).mappings():
            for column, value in row.items():
                text = _as_text(value).casefold()
                for identifier in IDENTIFIERS:
                    if identifier.casefold() in text:
                        hits.append(f"{table.name}.{column} (row {dict(row).get('id', '?')}): {identifier!r}")
    return hits


def _mail_file_hits(folder: Path) -> list[str]:
    hits = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        raw = path.read_bytes()
        message = email.message_from_bytes(raw, policy=policy.default)
        parts = [raw.decode("utf-8", "replace"), str(message["To"]), str(message["Subject"])]
        parts += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
        text = "\n".join(parts).casefold()
        hits += [f"{path.name}: {i!r}" for i in IDENTIFIERS if i.casefold() in text]
    return hits


def _index_hits(app) -> list[str]:
    index = service(app)
    for _attempt in range(3):  # an earlier test may have removed the index: it is rebuilt from the database
        assert search.wait()
        try:
            index.index()
            break
        except IndexUnavailable:
            continue
    hits = []
    with index.searcher() as searcher:
        if len(searcher.search(Term("author", USERNAME), limit=None)):
            hits.append(f"search index: documents with author {USERNAME!r}")
    return hits


def _database_file_hits() -> list[str]:
    """SQLite: the database file itself, once the write-ahead log is checkpointed (freed pages included)."""
    if _db.engine.dialect.name != "sqlite":
        return []
    _db.session.commit()
    with _db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(_db.engine.url.database)
    # Read it from another process: closing a file descriptor of this process on the database file would
    # drop every POSIX lock SQLite holds on it here (SQLite's documented pitfall), and a later connection
    # would then find the WAL index gone ("disk I/O error").
    raw = subprocess.run([sys.executable, "-c", "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())",
                          str(path)], capture_output=True, check=True).stdout.lower()
    return [f"{path.name}: {i!r}" for i in IDENTIFIERS if i.lower().encode() in raw]


def _login(app, member):
    client = app.test_client()
    Auth(client).login(member)
    return client


def test_account_deletion_leaves_no_copy_of_the_member_anywhere(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_NOTIFICATION_DELAY_MINUTES", 0)
    mail_folder = Path(app.config["MAIL_FOLDER"])
    # earlier tests leave documents under post ids this test's posts reuse (their tables are emptied, the
    # shared index is not): start from an empty index, as a community's ids are never reused
    service(app).clear()
    assert search.wait()

    zeph = make.member(USERNAME, email=EMAIL, display_name=DISPLAY)
    verify(zeph)
    pat = make.member("pat")
    verify(pat)  # mail goes to verified addresses only: pat's notification mail names her
    staff = make.member("sam", role=Role.staff)
    import_contacts(f"id,email,name,company,phone\nC77,{EMAIL},{CONTACT_NAME},{COMPANY},{PHONE}\n")
    _db.session.commit()

    # posts, replies both ways (notifications, notification mail to pat naming her), votes both ways
    hers = make.thread(author=zeph, title="Router fan gets loud at night", body="The fan spins up after midnight.")
    his = make.thread(author=pat, title="Firmware 2.1 notes", body="What changed in 2.1?")
    her_reply = make.post(his, author=zeph, body="The changelog lists a new fan curve.")
    his_reply = make.post(hers, author=pat, body="Same here since the update.")
    me, him = _login(app, zeph), _login(app, pat)
    assert me.post(f"/p/{his_reply.id}/vote", data={"value": "1"}, headers={"Accept": "application/json"}).status_code == 200
    assert him.post(f"/p/{her_reply.id}/vote", data={"value": "1"}, headers={"Accept": "application/json"}).status_code == 200
    delivery.send_due_notifications()
    delivery.deliver_due()
    _db.session.commit()

    # staff work with her record: company, a search by name, a contact search, an export, a view
    crm = _login(app, staff)
    assert crm.post(f"/crm/members/{USERNAME}/profile", data={"company": COMPANY + " (UK)", "tags": "vip"}).status_code == 302
    assert crm.get(f"/crm/members?q={DISPLAY}").status_code == 200
    assert crm.get(f"/crm/members?q={EMAIL}&format=csv").status_code == 200
    assert crm.get("/crm/contacts", query_string={"q": PHONE}).status_code == 200
    assert crm.get(f"/crm/members/{USERNAME}").status_code == 200
    _db.session.expire_all()

    # the scan finds her everywhere before: it can fail
    before = _database_hits()
    assert any(hit.startswith("crm_audit_log.detail") and COMPANY in hit for hit in before), before
    for where in ("members.", "crm_outbox.payload", "crm_audit", "crm_contacts.phone", "crm_profiles.company",
                  "mail_messages."):
        assert any(hit.startswith(where) for hit in before), (where, before)
    assert _mail_file_hits(mail_folder), "no mail file named her before the deletion"
    to_pat = _db.session.scalars(select(MailMessage).where(MailMessage.to_address == pat.email,
                                                           MailMessage.kind != "verify")).all()
    assert any(DISPLAY in m.text_body or USERNAME in m.text_body for m in to_pat), [m.kind for m in to_pat]
    assert _index_hits(app), "the index had no document of hers before the deletion"
    if _db.engine.dialect.name == "sqlite":
        assert _database_file_hits(), "the database file did not hold her data before the deletion"

    response = me.post("/settings/delete-account", data={"password": factories.PASSWORD})
    assert response.status_code == 302
    _db.session.expire_all()

    found = _database_hits() + _mail_file_hits(mail_folder) + _index_hits(app) + _database_file_hits()
    assert found == [], "\n".join(found)
    # what stays: her posts, under "Deleted member", and the anonymous facts around them
    page = him.get(f"/t/{hers.id}").get_data(as_text=True)
    assert "The fan spins up after midnight." in page and "Deleted member" in page
