"""Site settings and branding (/admin/site, community/site/branding.py, community/uploads): who may change
them, what bad input gets, and where a reader sees the name, logo, colours, intro, terms and contact."""
from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from flask import g
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import select, text

from application import create_app
from community import MIGRATIONS_DIR, settings
from community.extensions import db
from community.mail.models import MailMessage
from community.members.models import Member
from community.pagecache import PageCache
from community.site import branding
from community.uploads import storage
from tests.community.api.conftest import Api, error_of

from .conftest import ROLES

FORM = {"name": "", "tagline": "", "primary_color": "", "accent_color": "", "default_language": "en", "intro": "",
        "terms": "", "privacy": "", "contact_email": ""}


@pytest.fixture(autouse=True)
def own_uploads(app, tmp_path):
    """Each test stores its uploads in its own folder (the backup tests count the shared one's files)."""
    before = app.config["UPLOADS_PATH"]
    app.config["UPLOADS_PATH"] = str(tmp_path / "uploads")
    yield
    app.config["UPLOADS_PATH"] = before


def image_bytes(fmt="PNG", size=(64, 32), colour=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt, **save)
    return out.getvalue()


def post_site(client, files=None, **fields):
    data = dict(FORM, **fields)
    for name, (content, filename) in (files or {}).items():
        data[name] = (io.BytesIO(content), filename)
    return client.post("/admin/site", data=data, content_type="multipart/form-data")


def stored() -> dict:
    """The site settings as stored now (read past this context's per-request cache)."""
    db.session.expire_all()
    g.pop("site_settings", None)
    return dict(db.session.execute(select(settings.SiteSetting.key, settings.SiteSetting.value)).all())


def uploaded_files(app) -> list:
    root = Path(app.config["UPLOADS_PATH"])
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_open_and_change_the_site_settings(people, as_role, role):
    client = as_role(role)
    page = client.get("/admin/site")
    response = post_site(client, name="Taken Over", primary_color="#000000")
    if role == "admin":
        assert page.status_code == 200 and "Community name" in page.get_data(as_text=True)
        assert response.status_code == 302
        assert stored() == {"site.name": "Taken Over", "site.primary_color": "#000000"}
        return
    if role == "guest":
        assert page.status_code == 302 and "/login" in page.headers["Location"]
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert page.status_code == 404 and response.status_code == 404
    assert stored() == {}


def test_the_site_section_is_listed_for_admins_only(people, as_role):
    assert 'data-section="site"' in as_role("admin").get("/admin").get_data(as_text=True)
    assert 'data-section="site"' not in as_role("staff").get("/admin").get_data(as_text=True)


def test_the_name_shows_in_the_header_the_title_the_feed_and_mails(app, people, as_role):
    admin = as_role("admin")
    assert post_site(admin, name="  Lantern   Makers ", tagline="Light for everyone").status_code == 302
    guest = as_role("guest")
    page = guest.get("/").get_data(as_text=True)
    assert re.search(r'<a class="brand"[^>]*>.*Lantern Makers', page)
    assert "<title>Home · Lantern Makers</title>" in page and "Light for everyone" in page
    assert "Acme Community" not in page
    assert "<title>Lantern Makers</title>" in guest.get("/latest.atom").get_data(as_text=True)
    guest.post("/password/forgot", data={"login": people["member"].username})
    [mail] = db.session.scalars(select(MailMessage).where(MailMessage.to_address == people["member"].email,
                                                  MailMessage.kind == "password_reset")).all()
    assert mail.subject.startswith("[Lantern Makers] ") and "Lantern Makers" in mail.text_body
    # an empty name falls back to the configured one
    assert post_site(admin, name="").status_code == 302
    assert "<title>Home · Acme Community</title>" in guest.get("/").get_data(as_text=True)


def test_the_mail_page_offers_no_second_name_and_still_saves(people, as_role):
    admin = as_role("admin")
    post_site(admin, name="Harbour Club")
    page = admin.get("/admin/mail").get_data(as_text=True)
    assert 'name="community_name"' not in page and "Harbour Club" in page
    response = admin.post("/admin/mail", data={"base_url": "https://club.example.com", "mail_from": "",
                                               "enabled": ["password_reset"]})
    assert response.status_code == 302


def test_an_uploaded_logo_is_re_encoded_stored_and_shown_on_the_home_page(app, people, as_role):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera maker: metadata that must not be served
    photo = image_bytes("JPEG", size=(2400, 1200), exif=exif.tobytes())
    response = post_site(as_role("admin"), files={"logo": (photo, "logo.jpg")})
    assert response.status_code == 302
    logo = stored()["site.logo"]
    assert storage.valid_id(logo) and logo.endswith(".webp")
    page = as_role("guest").get("/").get_data(as_text=True)
    assert f'src="/uploads/{logo}"' in page and 'class="intro-logo"' in page
    served = as_role("guest").get(f"/uploads/{logo}")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "WEBP" and image.size == (1024, 512)  # shrunk to the logo's longest side
        assert not image.getexif() and b"SecretCam" not in served.data


def test_a_new_logo_replaces_the_old_file_and_remove_takes_it_away(app, people, as_role):
    admin = as_role("admin")
    post_site(admin, files={"logo": (image_bytes(), "a.png")})
    first = stored()["site.logo"]
    post_site(admin, files={"logo": (image_bytes(colour=(0, 0, 0)), "b.png")})
    second = stored()["site.logo"]
    assert second != first and uploaded_files(app).count(first) == 0 and second in uploaded_files(app)
    assert admin.get(f"/uploads/{first}").status_code == 404
    post_site(admin, remove_logo="y")
    assert "site.logo" not in stored() and second not in uploaded_files(app)
    assert 'class="intro-logo"' not in as_role("guest").get("/").get_data(as_text=True)


HTML_AS_PNG = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize("change, field, message", [
    ({"files": {"logo": (b"just some words, not a picture", "logo.png")}}, "logo", "not an image"),
    ({"files": {"logo": (HTML_AS_PNG, "logo.png")}}, "logo", "not an image"),
    ({"files": {"logo": (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "logo.svg")}}, "logo",
     "not an image"),
    ({"files": {"logo": (b"\x89PNG\r\n\x1a\n" + b"\0" * (20 * 1024 * 1024), "big.png")}}, "logo",
     "too large: at most 2 MB"),
    ({"files": {"favicon": (image_bytes()[:40], "cut.png")}}, "favicon", "not an image"),
    ({"primary_color": "#ff0000"}, "primary_color", "3.99:1 with white text and 3.93:1 with the page's dark text"),
    ({"primary_color": "#7f7f7f"}, "primary_color", "at least 4.5:1"),
    ({"primary_color": "blue"}, "primary_color", "a # and six hexadecimal digits"),
    ({"accent_color": "#12345z"}, "accent_color", "a # and six hexadecimal digits"),
    ({"accent_color": "#fafafa"}, "accent_color", "at least 3:1"),
    ({"contact_email": "not an address"}, "contact_email", "not a valid email address"),
    ({"default_language": "fr"}, "default_language", "Choose one of the offered values."),
    ({"name": "x" * 101}, "name", "At most 100 characters"),
])
def test_bad_input_gets_a_clear_error_and_saves_nothing(app, people, as_role, change, field, message):
    before = uploaded_files(app)
    change = dict(change)
    files = change.pop("files", None)
    # every other field is fine: one bad value must keep all of them from being saved
    response = post_site(as_role("admin"), files=files, **dict({"name": "Half Saved", "tagline": "Nope",
                                                                "intro": "Hello"}, **change))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and message in page.replace("&#39;", "'")
    assert stored() == {} and uploaded_files(app) == before
    assert "Half Saved" not in as_role("guest").get("/").get_data(as_text=True)


def test_a_decompression_bomb_is_refused_before_it_is_decoded(app, people, as_role):
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")  # ~50 KB that decodes to 400 million pixels
    assert len(out.getvalue()) < 2 * 1024 * 1024
    response = post_site(as_role("admin"), files={"logo": (out.getvalue(), "bomb.png")})
    assert response.status_code == 422 and "too many pixels" in response.get_data(as_text=True)
    assert stored() == {}


def test_colours_reach_pages_through_the_brand_stylesheet(people, as_role):
    assert post_site(as_role("admin"), primary_color="#0B6B5C", accent_color="#F2A")  # short form, upper case.status_code == 302
    assert stored() == {"site.primary_color": "#0b6b5c", "site.accent_color": "#ff22aa"}
    guest = as_role("guest")
    page = guest.get("/").get_data(as_text=True)
    [href] = re.findall(r'<link rel="stylesheet" href="(/brand\.css\?v=[0-9a-f]+)">', page)
    css = guest.get(href)
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "--accent:#0b6b5c" in css.get_data(as_text=True) and "--accent-fg:#ffffff" in css.get_data(as_text=True)
    assert "--brand-accent:#ff22aa" in css.get_data(as_text=True)
    assert "immutable" in css.headers["Cache-Control"]
    assert "style=" not in page  # the CSP forbids inline styles: none are written


def test_a_light_primary_colour_gets_dark_text_and_dark_links():
    assert branding.text_on("#f2a900") == branding.PAGE_TEXT
    css = branding.brand_css("#f2a900", "")
    assert "--accent-fg:#1d2330" in css and "--link:#1d2330" in css
    assert round(branding.contrast("#ffffff", "#000000"), 2) == 21


def test_no_brand_stylesheet_without_colours(client):
    assert "/brand.css" not in client.get("/").get_data(as_text=True)


def test_the_favicon_is_served_when_one_is_set(people, as_role):
    guest = as_role("guest")
    default = guest.get("/favicon.ico")  # without one: the app icon (community/seo/icons.py)
    assert default.status_code == 200 and Image.open(io.BytesIO(default.data)).size == (48, 48)
    assert post_site(as_role("admin"), files={"favicon": (image_bytes("GIF", size=(600, 600)), "icon.gif")}) \
        .status_code == 302
    icon = guest.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/png"
    assert icon.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(icon.data)) as image:
        assert image.format == "PNG" and image.size == (256, 256)
    assert '<link rel="icon" type="image/png" href="/favicon.ico?v=' in guest.get("/").get_data(as_text=True)


def test_terms_privacy_and_contact_are_linked_in_the_footer(people, as_role):
    guest = as_role("guest")
    assert guest.get("/terms").status_code == 404 and guest.get("/privacy").status_code == 404
    assert 'href="/terms"' not in guest.get("/").get_data(as_text=True)
    post_site(as_role("admin"), terms="# Our terms\n\nBe **kind**. <script>alert(1)</script>",
              privacy="We keep *little*.", contact_email="hello@example.com",
              intro="Welcome to the **lantern** makers. [Guide](https://example.com/guide)")
    page = guest.get("/").get_data(as_text=True)
    footer = page[page.index('<footer'):]
    assert 'href="/terms"' in footer and 'href="/privacy"' in footer
    assert 'href="mailto:hello@example.com"' in footer
    assert "Welcome to the <strong>lantern</strong> makers." in page
    terms = guest.get("/terms").get_data(as_text=True)
    assert "<strong>kind</strong>" in terms and "<script>alert" not in terms
    assert "<em>little</em>" in guest.get("/privacy").get_data(as_text=True)


def test_registration_links_the_terms_and_asks_to_accept_them(people, as_role):
    guest = as_role("guest")
    form = {"username": "newcomer", "email": "newcomer@example.com", "password": "lantern-harbour-77"}
    assert 'name="accept_terms"' not in guest.get("/register").get_data(as_text=True)
    post_site(as_role("admin"), terms="Be kind.", privacy="We keep little.")
    page = guest.get("/register").get_data(as_text=True)
    assert 'name="accept_terms"' in page and 'href="/terms"' in page and 'href="/privacy"' in page
    refused = guest.post("/register", data=form)
    assert refused.status_code == 422 and "accept the terms of service" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Member).where(Member.username == "newcomer")) is None
    assert guest.post("/register", data=dict(form, accept_terms="y")).status_code == 302
    assert db.session.scalar(select(Member).where(Member.username == "newcomer")) is not None


def test_registration_through_the_api_needs_the_terms_accepted_when_there_are_terms(app, people, as_role):
    post_site(as_role("admin"), terms="Be kind.")
    api = Api(app.test_client())
    body = {"username": "apinewbie", "email": "apinewbie@example.com", "password": "lantern-harbour-77"}
    refused = api.post("members", json=body)
    assert refused.status_code == 422 and "accept_terms" in error_of(refused)["fields"]
    assert db.session.scalar(select(Member).where(Member.username == "apinewbie")) is None
    assert api.post("members", json=dict(body, accept_terms=True)).status_code == 201


def test_the_default_language_applies_to_visitors_whose_browser_names_none(people, as_role):
    post_site(as_role("admin"), default_language="zh")
    guest = as_role("guest")
    assert '<html lang="zh-CN">' in guest.get("/").get_data(as_text=True)
    assert '<html lang="en">' in guest.get("/", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)


def test_guests_cached_thread_pages_follow_a_change_of_branding(app, make, people, as_role):
    thread = make.thread(title="Lamp wicks and oils")
    app.config["PAGE_CACHE_SECONDS"] = 60
    app.extensions["community.pagecache"] = PageCache(16)
    try:
        guest = as_role("guest")
        assert "Acme Community" in guest.get(f"/t/{thread.id}").get_data(as_text=True)
        post_site(as_role("admin"), name="Lantern Makers", primary_color="#0b6b5c")
        page = guest.get(f"/t/{thread.id}").get_data(as_text=True)
        assert "Lantern Makers" in page and "/brand.css?v=" in page
    finally:
        app.config["PAGE_CACHE_SECONDS"] = 0
        app.extensions["community.pagecache"] = PageCache(16)


def test_branding_costs_no_extra_query_on_the_home_page(people, as_role, make, count_queries):
    for n in range(3):
        make.thread(title=f"A thread number {n}")
    guest = as_role("guest")
    guest.get("/")
    with count_queries() as plain:
        guest.get("/")
    post_site(as_role("admin"), files={"logo": (image_bytes(), "l.png"), "favicon": (image_bytes(), "f.png")},
              name="Lantern Makers", primary_color="#0b6b5c", accent_color="#c2410c", intro="Hello **there**",
              terms="Be kind.", privacy="Little.", contact_email="a@example.com", default_language="zh")
    with count_queries() as branded:
        page = guest.get("/").get_data(as_text=True)
    assert "Lantern Makers" in page and "<strong>there</strong>" in page
    assert len(branded) == len(plain), "\n".join(branded)


def test_signed_in_readers_may_cache_the_logo_and_stylesheet_but_not_pages(people, as_role):
    admin = as_role("admin")
    post_site(admin, files={"logo": (image_bytes(), "l.png")}, primary_color="#0b6b5c")
    page = admin.get("/")
    assert page.headers["Cache-Control"] == "private, no-store"
    html = page.get_data(as_text=True)
    [css] = re.findall(r'href="(/brand\.css\?v=[0-9a-f]+)"', html)
    [logo] = re.findall(r'src="(/uploads/[0-9a-f]{32}\.png)"', html)[:1]
    assert "immutable" in admin.get(css).headers["Cache-Control"]
    assert "max-age=31536000" in admin.get(logo).headers["Cache-Control"]


@pytest.mark.parametrize("name", ["../../etc/passwd", "0" * 32 + ".html", "abc.png", "0" * 32 + ".png"])
def test_uploads_serve_only_stored_files(client, name):
    assert client.get(f"/uploads/{name}").status_code == 404


@pytest.fixture
def keep_logging():
    """Alembic's env.py runs logging.config.fileConfig, which disables every logger that exists (the request
    log among them): put them back as they were for the tests that follow."""
    loggers = [logging.getLogger()] + [item for item in logging.root.manager.loggerDict.values()
                                       if isinstance(item, logging.Logger)]
    saved = [(item, item.disabled, item.level, list(item.handlers), item.propagate) for item in loggers]
    yield
    for item, disabled, level, handlers, propagate in saved:
        item.disabled, item.level, item.handlers, item.propagate = disabled, level, handlers, propagate


def test_the_migration_carries_a_name_set_for_mails_into_the_site_name(tmp_path, keep_logging):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "TESTING": True})
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0016_settings")
        db.session.execute(text("INSERT INTO mail_settings (id, community_name, base_url, mail_from, disabled, "
                                "updated_at) VALUES (1, ' Beta  Club ', '', '', '[]', '2026-01-01 00:00:00')"))
        db.session.commit()
        upgrade(directory=MIGRATIONS_DIR, revision="head")
        assert settings.get("site.name") == "Beta Club" and branding.community_name() == "Beta Club"
        db.session.remove()
        db.engine.dispose()
