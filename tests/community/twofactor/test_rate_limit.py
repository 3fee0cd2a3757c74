"""Wrong second-factor codes are limited per account, whatever the address (TWO_FACTOR_CODE_LIMIT).

The suite's app runs without limits; this scenario runs in a process of its own with limits on, as
tests/community/test_throttles.py does.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent("""
    import json, sys, pyotp
    from application import create_app
    from community.extensions import db
    from community.twofactor import services, totp
    from tests import factories

    instance = sys.argv[1]
    app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + instance + "/rl.db", "SEARCH_INDEX_DIR": instance + "/ix",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
    T0 = 1_800_000_000
    totp.clock = lambda: T0 + 60
    with app.app_context():
        db.create_all()
        member = factories.member("guarded")
        secret = totp.new_secret()
        codes = services.enrol(member, secret, pyotp.TOTP(secret).at(T0), at=T0)
        db.session.commit()

    def client(n):
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"  # every attempt from another address
        assert c.post("/login", data={"login": "guarded", "password": factories.PASSWORD}).status_code == 302
        return c

    out = {"codes": [client(n).post("/login/two-factor", data={"code": f"{n:06d}"}).status_code for n in range(11)]}
    right = client(99).post("/login/two-factor", data={"code": pyotp.TOTP(secret).at(T0 + 60)})
    out["right"] = [right.status_code, right.get_data(as_text=True), right.headers.get("Retry-After")]
    out["recovery"] = client(98).post("/login/two-factor", data={"code": codes[0]}).status_code
    print(json.dumps(out))
""")


def test_wrong_codes_are_limited_per_account_across_addresses(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
    for key in ("DATABASE_URL", "REDIS_URL"):
        env.pop(key, None)
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["codes"] == [422] * 10 + [429]
    status, page, retry = out["right"]
    assert status == 429 and "Too many wrong codes for this account" in page  # even the right code waits
    assert int(retry) > 60
    assert out["recovery"] == 429  # recovery codes are codes too
