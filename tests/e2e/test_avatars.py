"""Avatars and user cards in a real browser: upload a photo in settings, see it beside the post, and open
the author's card by hovering (mouse), with Enter (keyboard) and by tapping (phone)."""
from __future__ import annotations

import io
import re
import uuid

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from .test_votes import register

pytestmark = pytest.mark.e2e


def _photo() -> bytes:
    image = Image.new("RGB", (900, 600), (30, 90, 160))
    image.paste(Image.new("RGB", (300, 600), (250, 250, 250)), (300, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _start_thread(page: Page, board: str, title: str) -> str:
    page.goto(f"/b/{board}/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Message").fill("Here is what I found after a week with the new speaker.")
    page.get_by_role("button", name="Start thread").click()
    expect(page).to_have_url(re.compile(r"/t/\d+$"))
    return page.url


def test_an_uploaded_avatar_shows_beside_the_post_and_the_name_opens_the_card(new_context, live_server):
    suffix = uuid.uuid4().hex[:6]
    writer_name = f"writer_{suffix}"
    writer = new_context().new_page()
    register(writer, writer_name)
    writer.goto("/settings")
    writer.get_by_label("Upload a picture").set_input_files(
        {"name": "holiday.jpg", "mimeType": "image/jpeg", "buffer": _photo()})
    writer.get_by_role("button", name="Save avatar").click()
    expect(writer.get_by_text("Your avatar has been saved.")).to_be_visible()
    expect(writer.locator("#avatar img.avatar")).to_have_attribute("src", re.compile(r"^/uploads/[0-9a-f]{32}\.webp$"))
    thread_url = _start_thread(writer, live_server.seeded["board"], f"A week with the speaker {suffix}")

    reader = new_context().new_page()
    register(reader, f"reader_{suffix}")
    reader.goto(thread_url)
    picture = reader.locator("#post-1 .post-head img.avatar")
    expect(picture).to_be_visible()
    assert reader.evaluate("(img) => img.complete && img.naturalWidth", picture.element_handle()) == 256

    # mouse: hover the name, the card appears after a moment, and Follow works inside it
    name = reader.locator("#post-1 .post-head a.member")
    name.hover()
    card = reader.get_by_role("dialog")
    expect(card).to_be_visible()
    expect(card.locator(".usercard-name")).to_have_text(writer_name)
    expect(card).to_contain_text("Trust level 0")
    # a new reader (trust level 0) may write to the team, not yet to members: no "Send a private message"
    expect(card.get_by_role("link", name="Send a private message")).to_have_count(0)
    card.get_by_role("button", name="Follow").click()
    expect(reader.get_by_role("dialog").get_by_role("button", name="Unfollow")).to_be_visible()
    expect(reader.get_by_role("dialog").locator(".followers-count")).to_have_text("1")
    reader.keyboard.press("Escape")
    expect(reader.get_by_role("dialog")).to_have_count(0)

    # keyboard: Enter on the focused name opens the card and moves focus into it; Esc brings it back
    reader.mouse.move(0, 0)
    name.focus()
    reader.keyboard.press("Enter")
    expect(reader.get_by_role("dialog")).to_be_focused()
    expect(reader).to_have_url(thread_url)
    reader.keyboard.press("Escape")
    expect(reader.get_by_role("dialog")).to_have_count(0)
    expect(name).to_be_focused()
    reader.keyboard.press("Enter")  # a second Enter, card closed: the card again (not the profile)
    expect(reader.get_by_role("dialog")).to_be_visible()
    expect(reader).to_have_url(thread_url)
    reader.keyboard.press("Escape")


def test_a_tap_on_a_phone_opens_the_card_and_a_second_tap_the_profile(new_context, live_server):
    phone = new_context(viewport={"width": 390, "height": 800}, has_touch=True, is_mobile=True).new_page()
    phone.goto(f"/b/{live_server.seeded['board']}")
    username = live_server.seeded["username"]
    name = phone.locator(".thread-row a.member", has_text=username).first
    name.tap()
    card = phone.get_by_role("dialog")
    expect(card).to_be_visible()
    expect(card.locator(".usercard-name")).to_have_text(username)
    expect(card.locator(".avatar-letter")).to_have_text(username[0].upper())
    expect(card.get_by_role("button", name="Follow")).to_have_count(0)  # a guest cannot follow
    name.tap()
    expect(phone).to_have_url(re.compile(rf"/u/{username}$"))
