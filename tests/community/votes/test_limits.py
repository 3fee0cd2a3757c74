"""How much a member may vote: the daily allowance by trust level, and the per-minute rate limit (in a
process of its own: the test app runs without limits)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import timedelta

from sqlalchemy import update

from community.dbtypes import utcnow
from community.forum.models import Post
from community.votes.models import Vote
from tests.community.votes.conftest import JSON, ROOT, fresh, set_trust_level

# ---- the daily allowance -----------------------------------------------------------------------

def test_new_members_have_a_daily_vote_allowance_and_regulars_a_larger_one(app, client, auth, make, db):
    app.config["VOTES_PER_DAY_BY_TRUST_LEVEL"] = [2, 3]
    try:
        thread = make.thread()
        replies = [make.post(thread) for _ in range(5)]
        newcomer = make.member("newcomer")
        set_trust_level(db, newcomer, 0)
        auth.login(newcomer)
        for reply in replies[:2]:
            assert client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON).status_code == 200
        response = client.post(f"/p/{replies[2].id}/vote", data={"value": "1"}, headers=JSON)
        assert response.status_code == 429
        error = response.get_json()["error"]
        assert error["code"] == "vote_limit_reached" and "2 votes" in error["message"]
        assert fresh(db, Post, replies[2].id).score == 0
        # changing a vote is never limited; taking one back gives it back
        assert client.post(f"/p/{replies[0].id}/vote", data={"value": "-1"}, headers=JSON).status_code == 200
        assert client.post(f"/p/{replies[0].id}/vote", data={"value": "0"}, headers=JSON).status_code == 200
        assert client.post(f"/p/{replies[2].id}/vote", data={"value": "1"}, headers=JSON).status_code == 200
        # without JavaScript the refusal is shown on the page
        response = client.post(f"/p/{replies[3].id}/vote", data={"value": "1"})
        assert "new votes are possible again tomorrow" in client.get(response.headers["Location"]).get_data(as_text=True)
        auth.logout()

        regular = make.member("regular")
        set_trust_level(db, regular, 4)  # past the end of the list: the last entry applies
        auth.login(regular)
        codes = [client.post(f"/p/{r.id}/vote", data={"value": "1"}, headers=JSON).status_code for r in replies[:4]]
        assert codes == [200, 200, 200, 429]
    finally:
        app.config["VOTES_PER_DAY_BY_TRUST_LEVEL"] = [10, 30, 50, 70, 100]


def test_votes_older_than_a_day_do_not_count_against_the_allowance(app, client, auth, make, db):
    app.config["VOTES_PER_DAY_BY_TRUST_LEVEL"] = [1]
    try:
        thread = make.thread()
        first, second = make.post(thread), make.post(thread)
        voter = make.member()
        set_trust_level(db, voter, 0)
        auth.login(voter)
        assert client.post(f"/p/{first.id}/vote", data={"value": "1"}, headers=JSON).status_code == 200
        assert client.post(f"/p/{second.id}/vote", data={"value": "1"}, headers=JSON).status_code == 429
        db.session.execute(update(Vote).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
        assert client.post(f"/p/{second.id}/vote", data={"value": "1"}, headers=JSON).status_code == 200
    finally:
        app.config["VOTES_PER_DAY_BY_TRUST_LEVEL"] = [10, 30, 50, 70, 100]


# ---- rate limit (a separate process: the test app runs without limits) ------------------------------

RATE_LIMIT_SCRIPT = textwrap.dedent("""
    import json, sys
    from application import create_app
    from community.extensions import db
    from tests import factories

    app = create_app({"TESTING": True, "INSTANCE_PATH": sys.argv[1], "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1] + "/rl.db",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        db.create_all()
        reply = factories.post(factories.thread())
        voter = factories.member("ratelimited")
        reply_id = reply.id
    client = app.test_client()
    client.post("/login", data={"login": "ratelimited", "password": factories.PASSWORD})
    codes, last = [], None
    for n in range(62):
        response = client.post(f"/p/{reply_id}/vote", data={"value": str(n % 2)}, headers={"Accept": "application/json"})
        codes.append(response.status_code)
        last = response.get_json()
    print(json.dumps({"codes": codes, "last": last}))
""")


def test_voting_is_rate_limited_per_minute(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", RATE_LIMIT_SCRIPT, str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["codes"][:60] == [200] * 60
    assert outcome["codes"][60:] == [429, 429]
    assert outcome["last"]["error"]["code"] == "rate_limited"
