"""A fresh install in Chromium: the admin goes through /setup, creates a members-only board, makes a member
moderator, puts them in a group and gives the group a board of its own, and switches registration to
approval; a guest sees neither board, the moderator sees the group's board and the review queue, and a
newcomer waits for approval (and cannot sign in meanwhile).

This needs an empty database, so it starts its own server (migrated, not seeded) once for the module, the
way `live_server` does.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _require_chromium, _stop, serve_app
from tests.e2e.test_member_journey import PHONE, horizontal_overflow

pytestmark = pytest.mark.e2e
PASSWORD = "first-run-e2e-password-42"


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory):
    """The real app on an empty, migrated database (no admin, no boards), served on a free port."""
    _require_chromium()
    server = serve_app(tmp_path_factory.mktemp("fresh-server"))
    try:
        yield server
    finally:
        _stop(server.process)


@pytest.fixture
def open_page(browser, fresh_server):
    """open_page(**options) -> a page in a new browser context (its own cookies) on the fresh server; the
    test fails on any 5xx answer. The session's Chromium (`browser`) is shared with the other e2e tests."""
    errors, contexts = [], []

    def make(**options):
        options.setdefault("locale", "en-US")
        context = browser.new_context(base_url=fresh_server.url, **options)
        context.set_default_timeout(10_000)
        context.on("response", lambda r: errors.append(f"{r.status} {r.request.method} {r.url}")
                   if r.status >= 500 else None)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    if errors:
        pytest.fail("the server answered with errors: " + "; ".join(errors) + "\n" + fresh_server.log_tail())


def register(page, username: str) -> None:
    page.goto("/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def test_an_admin_sets_up_a_fresh_community_and_a_newcomer_waits_for_approval(open_page):
    admin = open_page(**PHONE)
    admin.goto("/")
    admin.get_by_role("link", name="Set it up now").click()
    expect(admin.get_by_role("heading", name="Set up your community")).to_be_visible()
    assert horizontal_overflow(admin) <= 0
    admin.get_by_label("Community name").fill("Harbour Community")
    admin.get_by_label("Your username (the first admin)").fill("founder")
    admin.get_by_label("Your email").fill("founder@example.com")
    admin.get_by_label("Password", exact=True).fill(PASSWORD)
    admin.get_by_label("Who can register").select_option("open")
    admin.get_by_role("button", name="Create the community").click()
    expect(admin.locator("form[action='/logout'] button")).to_be_attached()  # in the phone menu
    assert admin.url.endswith("/admin/boards")
    assert admin.goto("/setup").status == 404

    admin.goto("/admin/boards/new")
    admin.get_by_label("Name (English)").fill("Insiders")
    admin.get_by_label("Name (Simplified Chinese)").fill("内部")
    admin.get_by_label("Slug").fill("insiders")
    admin.get_by_label("Who can read it").select_option("members")
    admin.get_by_role("button", name="Create board").click()
    expect(admin.locator('[data-board="insiders"]')).to_be_visible()

    mona = open_page(**PHONE)
    register(mona, "mona")  # open: signed in at once
    expect(mona.locator("form[action='/logout'] button")).to_be_attached()  # in the phone menu

    admin.goto("/admin/members?q=mona")
    row = admin.locator('[data-member="mona"]')
    row.get_by_label("Role").select_option("moderator")
    row.get_by_role("button", name="Set role").click()
    expect(admin.locator('[data-member="mona"] .badge.role-moderator')).to_be_visible()

    admin.goto("/admin/groups/new")
    admin.get_by_label("Name (English)").fill("Pilot customers")
    admin.get_by_role("button", name="Create group").click()
    admin.get_by_label("Usernames or email addresses, one per line").fill("mona")
    admin.get_by_role("button", name="Add to the group").click()
    expect(admin.locator('.group-members [data-member="mona"]')).to_be_visible()
    admin.goto("/admin/boards/new")
    admin.get_by_label("Name (English)").fill("Pilot programme")
    admin.get_by_label("Slug").fill("pilot")
    admin.get_by_label("Who can read it").select_option("groups")
    admin.get_by_label("Groups that may read it (when the board is for groups)").select_option(label="Pilot customers")
    admin.get_by_role("button", name="Create board").click()
    expect(admin.locator('[data-board="pilot"]')).to_be_visible()

    admin.goto("/admin/registration")
    admin.get_by_label("Registration mode").select_option("approval")
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator('[data-mode="approval"]')).to_be_visible()
    assert horizontal_overflow(admin) <= 0

    guest = open_page(**PHONE)
    guest.goto("/")
    expect(guest.get_by_role("link", name="Set it up now")).to_have_count(0)
    expect(guest.get_by_text("Insiders")).to_have_count(0)
    assert guest.goto("/b/insiders").status == 404

    assert guest.goto("/b/pilot").status == 404
    expect(guest.get_by_text("Pilot programme")).to_have_count(0)
    assert mona.goto("/b/pilot").status == 200  # in the group
    expect(mona.get_by_role("heading", name="Pilot programme")).to_be_visible()

    mona.goto("/review")
    expect(mona.get_by_role("heading", name="Review queue")).to_be_visible()

    newcomer = open_page(**PHONE)
    register(newcomer, "newcomer")
    expect(newcomer.get_by_text("Your account is waiting for approval")).to_be_visible()
    expect(newcomer.get_by_role("button", name="Sign out")).to_have_count(0)
    newcomer.goto("/login")
    newcomer.get_by_label("Username or email").fill("newcomer")
    newcomer.get_by_label("Password", exact=True).fill(PASSWORD)
    newcomer.get_by_role("button", name="Sign in").click()
    expect(newcomer.get_by_text("Your account is waiting for approval by the staff")).to_be_visible()
    expect(newcomer.get_by_role("button", name="Sign out")).to_have_count(0)

    admin.goto("/admin/registration/queue")
    expect(admin.locator('[data-applicant="newcomer"]')).to_be_visible()
    assert horizontal_overflow(admin) <= 0
