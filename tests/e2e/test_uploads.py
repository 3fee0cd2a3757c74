"""Pictures in the composer, in a real browser: paste one into the reply box, pick one with the button."""
from __future__ import annotations

import base64
import io
import re
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from .test_votes import register

pytestmark = pytest.mark.e2e

PASTE = """async ([name, b64]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const file = new File([bytes], name, { type: "image/png" });
    const data = new DataTransfer();
    data.items.add(file);
    const box = document.querySelector("textarea[data-composer-input]");
    box.focus();
    box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
}"""


def _png(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), color).save(out, format="PNG")
    return out.getvalue()


def test_member_pastes_a_picture_into_a_reply_and_it_shows_in_the_post(new_context, live_server, tmp_path):
    page = new_context().new_page()
    register(page, f"painter_{uuid.uuid4().hex[:6]}")
    page.goto(f"/t/{live_server.seeded['thread_id']}")
    box = page.locator("textarea[data-composer-input]")
    box.fill("Here is the screenshot: ")
    page.evaluate(PASTE, ["screenshot.png", base64.b64encode(_png((200, 30, 30))).decode()])
    expect(box).to_have_value(re.compile(r"Here is the screenshot: !\[screenshot\.png\]\(/uploads/[0-9a-f]{32}\.png\)"))
    expect(page.get_by_role("status")).to_contain_text("screenshot.png uploaded")
    page.get_by_role("button", name="Post reply").click()
    picture = page.locator(".post img[alt='screenshot.png']").last
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.complete && img.naturalWidth") == 120

    # Picking a file with the button works the same way (the new-thread form, this time).
    page.goto(f"/b/{live_server.seeded['board']}/new")
    page.get_by_label("Title").fill(f"Colour samples {uuid.uuid4().hex[:4]}")
    page.locator("textarea[data-composer-input]").fill("The blue one: ")
    expect(page.get_by_role("button", name="Attach a picture or file")).to_be_visible()
    sample = tmp_path / "blue.png"
    sample.write_bytes(_png((20, 40, 220)))
    # the toolbar's picture button picks pictures only; "Attach a picture or file" takes either
    assert page.locator('input[type=file][data-upload-input="image"]').get_attribute("accept").startswith("image/")
    page.locator('input[type=file][data-upload-input="upload"]').set_input_files(str(sample))
    expect(page.locator("textarea[data-composer-input]")).to_have_value(re.compile(r"!\[blue\.png\]\(/uploads/"))
    page.get_by_role("button", name="Start thread").click()
    expect(page.locator(".post img[alt='blue.png']")).to_be_visible()


def test_a_refused_file_says_why_and_leaves_the_text_alone(new_context, live_server):
    page = new_context().new_page()
    register(page, f"prankster_{uuid.uuid4().hex[:6]}")
    page.goto(f"/t/{live_server.seeded['thread_id']}")
    box = page.locator("textarea[data-composer-input]")
    box.fill("Look: ")
    page.evaluate(PASTE, ["cat.png", base64.b64encode(b"<html><script>alert(1)</script></html>").decode()])
    expect(page.get_by_role("status")).to_contain_text("not an image")
    expect(box).to_have_value("Look: ")


DROP = """async ([name, b64]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], name, { type: "image/png" }));
    const box = document.querySelector("textarea[data-composer-input]");
    box.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
    box.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
}"""


def test_a_picture_dropped_on_the_edit_box_is_uploaded_with_a_progress_bar(new_context, live_server):
    page = new_context().new_page()
    register(page, f"dropper_{uuid.uuid4().hex[:6]}")
    page.goto(f"/t/{live_server.seeded['thread_id']}")
    page.locator("textarea[data-composer-input]").fill("Before the picture arrives.")
    page.get_by_role("button", name="Post reply").click()
    page.locator(".post").last.get_by_role("link", name="Edit").click()
    box = page.locator("textarea[data-composer-input]")
    expect(page.locator("progress")).to_be_hidden()
    page.evaluate(DROP, ["dropped.png", base64.b64encode(_png((10, 160, 60))).decode()])
    expect(box).to_have_value(re.compile(r"!\[dropped\.png\]\(/uploads/[0-9a-f]{32}\.png\)"))
    expect(page.get_by_role("status")).to_contain_text("dropped.png uploaded")
