"""Private messages in Chromium: a member writes to the team, a staff member answers from the staff inbox
in another browser, and the member sees the answer arrive live (the header badge, then the open page)."""
from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, _server_env

pytestmark = pytest.mark.e2e
STAFF_PASSWORD = "copper-kettle-5813"


def _create_admin(live_server, username: str) -> None:
    env = _server_env(live_server.workdir, 0)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "community", "create-admin", "--username",
                    username, "--email", f"{username}@example.com", "--password", STAFF_PASSWORD],
                   env=env, cwd=live_server.workdir, check=True, capture_output=True, timeout=120)
    assert ROOT.exists()


def _sign_in(page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _answer(staff, subject: str, text: str) -> None:
    staff.goto("/messages/staff?state=all")
    staff.get_by_role("link", name=subject).click()
    staff.locator("textarea[data-composer-input]").fill(text)
    staff.get_by_role("button", name="Send").click()
    expect(staff.locator("article.message", has_text=text)).to_have_count(1)


def test_member_messages_the_team_and_sees_the_answer_live(live_server, new_context):
    tag = uuid.uuid4().hex[:8]
    agent = f"agent{tag}"
    _create_admin(live_server, agent)
    username, subject = f"pm{tag}", f"Broken widget {tag}"

    member = new_context().new_page()
    member.goto("/register")
    member.get_by_label("Username").fill(username)
    member.get_by_label("Email").fill(f"{username}@example.com")
    member.get_by_label("Password", exact=True).fill("quiet-meadow-4821")
    member.get_by_role("button", name="Create account").click()
    expect(member.get_by_role("button", name="Sign out")).to_be_visible()
    member.get_by_role("link", name="Message the").first.click()  # in the main navigation
    member.goto(member.url + f"?subject={subject.replace(' ', '%20')}")
    member.locator("textarea[data-composer-input]").fill("My widget stopped working after the update.")
    member.get_by_role("button", name="Send").click()
    expect(member.locator("article.message", has_text="My widget stopped")).to_have_count(1)
    conversation_url = member.url
    badge = member.locator("[data-messages-unread]")

    staff = new_context().new_page()
    _sign_in(staff, agent, STAFF_PASSWORD)

    # 1. the member reads something else: the header badge counts the answer as it arrives
    member.goto("/latest")
    expect(badge).to_have_count(0)
    member.wait_for_timeout(1000)  # the socket connects
    _answer(staff, subject, f"Sorry about that, first answer {tag}.")
    expect(badge).to_have_text("1", timeout=15_000)

    # 2. the member has the conversation open: the next answer appears on the page, once, from the team
    member.goto(conversation_url)
    expect(badge).to_have_count(0)
    member.wait_for_timeout(1000)
    second = f"Fixed in version 2.1, second answer {tag}."
    _answer(staff, subject, second)
    arrived = member.locator("article.message", has_text=second)
    expect(arrived).to_have_count(1, timeout=15_000)
    expect(arrived).to_contain_text(agent)
    expect(arrived.locator(".team")).to_contain_text("team")
    member.reload()
    expect(member.locator("article.message", has_text=second)).to_have_count(1)
    expect(badge).to_have_count(0)  # read while it was open
