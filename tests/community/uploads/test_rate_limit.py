"""The upload API is rate limited (a real process with limits on, as tests/community/test_throttles.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent("""
    import io, json, sys
    from PIL import Image
    from application import create_app
    from community.extensions import db
    from tests import factories

    instance = sys.argv[1]
    app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + instance + "/rl.db", "SEARCH_INDEX_DIR": instance + "/ix",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        db.create_all()
        factories.member("snapper")
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG")
    png = out.getvalue()
    c = app.test_client()
    assert c.post("/login", data={"login": "snapper", "password": factories.PASSWORD}).status_code == 302
    codes = []
    for n in range(21):
        r = c.post("/api/v1/uploads", data={"file": (io.BytesIO(png), f"{n}.png")}, headers={"Accept": "application/json"})
        codes.append(r.status_code)
    print(json.dumps({"codes": codes, "last": r.get_json(), "retry": r.headers.get("Retry-After")}))
""")


def test_uploading_too_fast_answers_429_in_json(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
    for key in ("DATABASE_URL", "REDIS_URL"):
        env.pop(key, None)
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(out["codes"][:20]) == {201}
    assert out["codes"][20] == 429 and out["last"]["error"]["code"] == "rate_limited" and out["retry"]
