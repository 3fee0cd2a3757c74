"""Initial sync of a community's members with a real Tryton, in members/s, against a ceiling in the same run.

    TRYTOND_BIN=/path/to/venv/bin .venv/bin/python bench/tryton_sync.py            # 10 000 members
    .venv/bin/python bench/tryton_sync.py --members 1000                           # a quick look

Builds a migrated SQLite community with --members verified members and their CRM profiles (bulk-inserted),
starts trytond over a fresh copy of the test suite's prepared database (tests/tryton_server.py), and times
`crm_bridge.sync.sync_once()`: the first pass links every member, which here creates every party (one search
for a batch's addresses, one create for the batch's missing parties, the bookkeeping of links and
snapshots). The ceiling is what Tryton alone takes for the same work with no bridge in between: the same
batched `party.party.create` calls, made directly with a fresh trytond database, so the ratio is the cost of
the bridge (matching, links, snapshots, the community database).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402  (the imports below need ROOT on sys.path)
from sqlalchemy import func, insert, select  # noqa: E402

from application import create_app  # noqa: E402
from community import MIGRATIONS_DIR  # noqa: E402
from community.dbtypes import utcnow  # noqa: E402
from community.extensions import db  # noqa: E402
from community.members.models import Member  # noqa: E402
from crm_bridge import sync  # noqa: E402
from crm_bridge.connectors.tryton import TrytonConnector  # noqa: E402
from crm_bridge.models import CrmProfile  # noqa: E402
from tests import tryton_server  # noqa: E402


def build(app, members: int) -> None:
    now = utcnow()
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        rows = [{"id": i, "username": f"m{i}", "username_key": f"m{i}", "email": f"m{i}@bench-members.net",
                 "email_key": f"m{i}@bench-members.net", "password_hash": "x", "role": "member", "created_at": now,
                 "email_verified_at": now, "display_name": f"Member {i}"} for i in range(1, members + 1)]
        for start in range(0, len(rows), 2000):
            db.session.execute(insert(Member), rows[start:start + 2000])
        db.session.execute(insert(CrmProfile), [{"member_id": i, "company": f"Company {i % 97}" if i % 3 else "",
                                                 "first_seen_at": now} for i in range(1, members + 1)])
        db.session.commit()


def ceiling(members: int, batch: int) -> float:
    """Seconds Tryton takes to create the same parties in the same batches, called directly."""
    server = tryton_server.serve()
    try:
        conn = TrytonConnector(server.url)
        started = time.perf_counter()
        for start in range(1, members + 1, batch):
            people = [(f"Member {i}", f"m{i}@bench-members.net", f"Company {i % 97}" if i % 3 else "")
                      for i in range(start, min(members + 1, start + batch))]
            conn.find_parties_many([email for _name, email, _company in people])
            conn.create_parties(people)
        return time.perf_counter() - started
    finally:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args(argv)
    if tryton_server.binaries() is None:
        print("trytond is not installed (pip install -r requirements-dev.txt, or set TRYTOND_BIN)")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="bench-tryton-"))
    server = None
    try:
        tryton_server.template()  # prepared once, outside the timings
        os.environ["COMMUNITY_INSTANCE_PATH"] = str(tmp)
        server = tryton_server.serve()
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'community.db'}", "INSTANCE_PATH": str(tmp),
                          "TRYTON_URL": server.url, "RATELIMIT_ENABLED": False})
        build(app, args.members)
        with app.app_context():
            batch = int(app.config["SYNC_BATCH_SIZE"])
            started = time.perf_counter()
            outcome = sync.sync_once()
            took = time.perf_counter() - started
            linked = db.session.scalar(select(func.count(sync.SyncLink.id)).where(sync.SyncLink.state == "linked"))
        assert linked == args.members, (linked, outcome)
        base = ceiling(args.members, batch)
        print(f"initial sync: {args.members} members linked (parties created) in {took:.1f} s = "
              f"{args.members / took:.0f} members/s")
        print(f"ceiling (the same Tryton calls, no bridge): {base:.1f} s = {args.members / base:.0f} members/s; "
              f"the sync runs at {100 * base / took:.0f} % of it   load {os.getloadavg()[0]:.1f}")
        return 0
    finally:
        if server is not None:
            server.stop()
            shutil.rmtree(server.directory, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
