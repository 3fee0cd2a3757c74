"""Installable on a phone: the manifest names the community in its colours, its icons are real PNGs of the
right sizes drawn from the admin's logo (a default without one), and the favicon follows the logo."""
from __future__ import annotations

import json

from community import settings
from community.extensions import db
from tests.community.seo.conftest import image_of, instance_icons, png, set_logo


def _manifest(client) -> dict:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/manifest+json")
    return json.loads(response.get_data(as_text=True))


def test_the_manifest_names_the_community_in_its_colours(client):
    settings.save({"site.name": "Lantern Makers Guild", "site.primary_color": "#0b6b5c"})
    db.session.commit()
    manifest = _manifest(client)
    assert manifest["name"] == "Lantern Makers Guild"
    assert 0 < len(manifest["short_name"]) <= 12
    assert manifest["theme_color"] == "#0b6b5c" and manifest["background_color"].startswith("#")
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/" and manifest["lang"] == "en"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<meta name="theme-color" content="#0b6b5c">' in page


def test_without_a_logo_the_icons_are_a_default_of_the_right_sizes(client):
    for icon in _manifest(client)["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
        image = image_of(response.data)
        side = int(icon["sizes"].split("x")[0])
        assert image.format == "PNG" and image.size == (side, side)
        assert image.convert("RGB").getpixel((2, 2)) == (0x24, 0x56, 0xc8)  # the default primary colour
    assert "immutable" in response.headers["Cache-Control"]


def test_the_icons_are_drawn_from_the_logo_and_redrawn_when_it_changes(app, client):
    set_logo(png(colour=(200, 30, 30)))
    first = _manifest(client)["icons"]
    big = image_of(client.get(first[1]["src"]).data).convert("RGB")
    assert big.size == (512, 512)
    assert big.getpixel((256, 256)) == (200, 30, 30)  # the logo, centred
    assert big.getpixel((2, 2)) == (255, 255, 255)    # on a white margin
    drawn = len(instance_icons(app))
    client.get(first[1]["src"])
    assert len(instance_icons(app)) == drawn  # kept, not drawn again

    set_logo(png(colour=(20, 20, 160)))
    second = _manifest(client)["icons"]
    assert second[1]["src"] != first[1]["src"]
    assert image_of(client.get(second[1]["src"]).data).convert("RGB").getpixel((256, 256)) == (20, 20, 160)
    assert client.get("/icons/100.png").status_code == 404


def test_the_favicon_follows_the_logo_and_is_never_missing(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and image_of(response.data).size == (48, 48)
    assert '<link rel="icon" type="image/png" href="/favicon.ico">' in client.get("/").get_data(as_text=True)
    set_logo(png(colour=(200, 30, 30)))
    logo_icon = image_of(client.get("/favicon.ico").data).convert("RGB")
    assert logo_icon.getpixel((24, 24)) == (200, 30, 30)


def test_members_get_the_same_cacheable_manifest_and_icons(client, make, auth):
    auth.login(make.member("icon_max"))
    for path in ("/manifest.webmanifest", "/icons/192.png", "/favicon.ico"):
        response = client.get(path)
        assert response.status_code == 200 and "public" in response.headers["Cache-Control"], path
    assert "no-store" in client.get("/").headers["Cache-Control"]  # pages stay personal
