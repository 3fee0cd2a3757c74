"""Rate limits an attacker meets (issue 13, item 10): failed sign-ins per account, search per address.

The suite's app runs without limits; each scenario runs in a real process of its own with limits on,
as the rate-limit tests in tests/community/moderation do.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import json, sys
    from application import create_app
    from community.extensions import db
    from tests import factories

    instance, scenario = sys.argv[1], sys.argv[2]
    app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + instance + "/rl.db", "SEARCH_INDEX_DIR": instance + "/ix",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        db.create_all()
        factories.member("guessed", email="guessed@example.com")
        factories.member("untouched")
        # Build the index now: a missing one is rebuilt in the background and answers 503 meanwhile,
        # and on a slow machine that rebuild outlasts the 67 searches below.
        from pathlib import Path
        from community.search.backends.whoosh import rebuild
        rebuild(Path(instance) / "ix")
    out = {}

    def client(n):
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"  # a botnet: every attempt from another address
        return c

    if scenario == "account":
        out["codes"] = [client(n).post("/login", data={"login": "guessed" if n % 2 else "GUESSED@example.com",
                                                       "password": f"wrong-{n}"}).status_code for n in range(11)]
        right = client(99).post("/login", data={"login": "guessed", "password": factories.PASSWORD})
        out["right"] = [right.status_code, right.get_data(as_text=True), right.headers.get("Retry-After")]
        api = client(100).post("/api/v1/tokens", json={"login": "guessed", "password": factories.PASSWORD})
        out["api"] = [api.status_code, api.get_json()]
        out["other"] = client(101).post("/login", data={"login": "untouched",
                                                        "password": factories.PASSWORD}).status_code
    elif scenario == "api_account":
        out["codes"] = [client(n).post("/api/v1/tokens", json={"login": "guessed", "password": f"wrong-{n}"}).status_code
                        for n in range(11)]
        out["web"] = client(99).post("/login", data={"login": "guessed", "password": factories.PASSWORD}).status_code
    elif scenario == "right":
        out["codes"] = [client(n).post("/login", data={"login": "guessed", "password": factories.PASSWORD}).status_code
                        for n in range(15)]
    else:  # one address searching as fast as it can
        path = {"search": "/search?q=router", "api": "/api/v1/search?q=router",
                "similar": "/search/similar?title=my+router+drops+wifi"}[scenario]
        c = client(7)
        out["codes"] = [c.get(path).status_code for _ in range(65)]
        assert 503 not in out["codes"], out["codes"]
        last = c.get(path)
        out["last"] = [last.status_code, last.get_data(as_text=True)[:50000]]
        out["elsewhere"] = client(8).get(path).status_code
    print(json.dumps(out))
""")


def _run(tmp_path, scenario: str) -> dict:
    instance = tmp_path / scenario
    instance.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
    for key in ("DATABASE_URL", "REDIS_URL"):
        env.pop(key, None)
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(instance), scenario], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_failed_sign_ins_are_throttled_per_account_across_addresses(tmp_path):
    out = _run(tmp_path, "account")
    assert out["codes"] == [422] * 10 + [429]  # username and email count for the one account
    status, page, retry = out["right"]
    assert status == 429  # even the right password waits: the attacker learns nothing from it
    assert "Too many failed sign-in attempts for this account" in page
    assert int(retry) > 60
    status, body = out["api"]
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert out["other"] == 302  # other accounts are not slowed down


def test_failed_api_token_requests_count_for_the_account_too(tmp_path):
    out = _run(tmp_path, "api_account")
    assert out["codes"] == [401] * 10 + [429]
    assert out["web"] == 429


def test_a_member_who_signs_in_right_is_never_counted(tmp_path):
    assert _run(tmp_path, "right")["codes"] == [302] * 15


def test_search_is_rate_limited_per_address(tmp_path):
    out = _run(tmp_path, "search")
    assert set(out["codes"][:30]) == {200}
    assert out["last"][0] == 429 and "too often" in out["last"][1]
    assert out["elsewhere"] == 200


def test_the_search_api_is_rate_limited_with_a_json_error(tmp_path):
    out = _run(tmp_path, "api")
    assert set(out["codes"][:30]) == {200}
    assert out["last"][0] == 429 and json.loads(out["last"][1])["error"]["code"] == "rate_limited"


def test_similar_threads_are_rate_limited_per_address(tmp_path):
    out = _run(tmp_path, "similar")
    assert set(out["codes"][:30]) == {200}
    assert out["last"][0] == 429
