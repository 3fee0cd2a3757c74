"""Deterministic, realistic forum content for the benchmarks: members, a thread title, 50 Markdown posts.

Shared by the seeding step (which stores it through the real services) and the ceiling app (which
renders the same text from memory), so both pages carry the same words.
"""
from __future__ import annotations

import random
import re

MEMBERS = [
    # (username, display name, staff?)
    ("mei_lin", "Mei Lin", False),
    ("jonas.k", "Jonas Kowalski", False),
    ("priya-r", "Priya Raman", False),
    ("oliver_b", "", False),
    ("sofia.m", "Sofia Marquez", False),
    ("tomasz", "", False),
    ("aiko_t", "Aiko Tanaka", False),
    ("acme_support", "Acme Support", True),
]
PASSWORD = "bench-password-not-secret-42"
READER = "jonas.k"  # the signed-in reader of thread_page.py --reader member (writes posts 5, 12, 19, ...)

BOARD_SLUG = "bench-help"
BOARD_NAME = "Help & troubleshooting"
THREAD_TITLE = "Sync stalls at 99 % after upgrading the desktop client to 4.2"

_TOPICS = ["the sync queue", "the desktop client", "the upload cache", "proxy settings", "the 4.2 release",
           "large attachments", "the offline mode", "the admin console", "SSO sign-in", "the mobile app"]
_VERBS = ["restarting", "clearing", "reinstalling", "downgrading", "re-linking", "disabling", "resetting"]
_OUTCOMES = ["it worked for about an hour, then stalled again", "nothing changed at all",
             "the progress bar jumped to 100 % and stayed there", "it fixed it for me on two of three machines",
             "the log filled with timeouts", "the stall moved from 99 % to 97 %"]
_LANGS = [("bash", ["$ acme-sync --status", "state: syncing (99%)", "pending: 1 item(s)",
                    "$ acme-sync --reset-queue --keep-local", "queue reset; 1432 items re-scanned"]),
          ("python", ["import json, pathlib", "cfg = pathlib.Path('~/.acme/config.json').expanduser()",
                      "data = json.loads(cfg.read_text())", "data['sync']['chunk_size'] = 4 * 1024 * 1024",
                      "cfg.write_text(json.dumps(data, indent=2))"]),
          ("ini", ["[network]", "proxy = http://proxy.example.com:3128", "timeout_seconds = 120",
                   "retries = 5", "chunk_kb = 4096"]),
          ("", ["2024-05-02 09:14:07 WARN  upload chunk 17/18 timed out after 60s",
                "2024-05-02 09:14:07 INFO  retrying chunk 17/18 (attempt 2)",
                "2024-05-02 09:15:07 WARN  upload chunk 17/18 timed out after 60s"])]
_LINKS = [("the 4.2 release notes", "https://docs.example.com/releases/4.2"),
          ("the sync troubleshooting guide", "https://help.example.com/articles/sync-stalls"),
          ("this older thread", "https://community.example.com/t/1234"),
          ("the known-issues page", "https://status.example.com/known-issues")]


def post_bodies(count: int = 50, seed: int = 42) -> list[str]:
    """Return `count` Markdown post bodies: paragraphs, a list, a link and a code block each."""
    rng = random.Random(seed)
    bodies = []
    for number in range(1, count + 1):
        topic, verb, outcome = rng.choice(_TOPICS), rng.choice(_VERBS), rng.choice(_OUTCOMES)
        lang, code = rng.choice(_LANGS)
        label, url = rng.choice(_LINKS)
        mention = f"@{MEMBERS[rng.randrange(len(MEMBERS))][0]} " if number > 1 and rng.random() < 0.3 else ""
        steps = rng.sample(_VERBS, 3)
        body = (
            f"{mention}Post {number}: I am seeing the same thing with **{topic}** since Tuesday. "
            f"After {verb} {rng.choice(_TOPICS)}, {outcome}. It happens on Windows 11 and macOS 14, "
            f"both on the office network and at home, so I doubt it is *only* the proxy.\n\n"
            f"What I tried so far, in this order:\n\n"
            f"1. {steps[0].capitalize()} {rng.choice(_TOPICS)} and signing in again\n"
            f"2. {steps[1].capitalize()} {rng.choice(_TOPICS)} (took about {rng.randint(2, 40)} minutes)\n"
            f"3. {steps[2].capitalize()} {rng.choice(_TOPICS)} with `--verbose` logging on\n\n"
            f"The relevant part of the log and what I ran:\n\n"
            f"```{lang}\n" + "\n".join(code) + "\n```\n\n"
            f"I also read [{label}]({url}) but it only covers version 4.1. "
            f"Has anyone from the team confirmed whether a fix is planned? Happy to send a full log "
            f"if that helps; ticket #{40000 + number * 7} has the details."
        )
        bodies.append(body)
    return bodies


def reply_targets(count: int = 50, seed: int = 7) -> dict[int, int]:
    """Return {post number: number of the earlier post it answers} for about a fifth of the replies."""
    rng = random.Random(seed)
    return {number: rng.randint(1, number - 1) for number in range(3, count + 1) if rng.random() < 0.2}


def author_of(number: int) -> int:
    """Return the index in MEMBERS of the author of post `number` (staff answers every seventh post)."""
    if number % 7 == 0:
        return len(MEMBERS) - 1
    return (number * 3) % (len(MEMBERS) - 1)


def signed_in_client(app, login: str, password: str, page: str):
    """A Flask test client signed in as `login` through the real login form, and a CSRF token read from `page`
    (the in-process benches' member: profile_votes.py, replies_app.py, replies_ab.py)."""
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    answer = client.post("/login", data={"csrf_token": token, "login": login, "password": password})
    assert answer.status_code == 302, answer.status_code
    page_html = client.get(page).get_data(as_text=True)
    return client, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_html).group(1)
