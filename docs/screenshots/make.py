"""Make the README's screenshots: the home page, a thread, the ideas board and the CRM profile, at 390 px
(a phone) and 1366 px (a laptop), in light and dark mode: 16 PNGs beside this file.

    .venv/bin/python docs/screenshots/make.py

It serves the demo community (`flask community seed-demo`) from a temporary directory with
`python wsgi.py`, the way `make serve` does, and photographs it with Debian's Chromium
(/usr/bin/chromium) through Playwright; the CRM profile is seen by a staff member. The PNGs are
quantised to 256 colours with Pillow to keep the repository small.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, _stop, serve_app  # noqa: E402
from tests.e2e.site_map import DEMO_PASSWORD, ROLES, demo_site  # noqa: E402

OUT = Path(__file__).resolve().parent
SIZES = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 900}}
SHOTS = ("home", "thread", "ideas", "crm_profile")


def _serve(workdir: Path) -> LiveServer:
    return serve_app(workdir, demo=True)


def _sign_in(page) -> None:
    page.goto("/login")
    page.get_by_label("Username or email").fill(ROLES["staff"])
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _compress(path: Path) -> None:
    image = Image.open(path).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        server = _serve(Path(tmp))
        try:
            main_pages = demo_site(server)["main"]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                for size, viewport in SIZES.items():
                    for scheme in ("light", "dark"):
                        context = browser.new_context(base_url=server.url, viewport=viewport, color_scheme=scheme,
                                                      locale="en-US", reduced_motion="reduce")
                        page = context.new_page()
                        _sign_in(page)
                        for name in SHOTS:
                            page.goto(main_pages[name])
                            path = OUT / f"{name}-{size}-{scheme}.png"
                            page.screenshot(path=str(path), full_page=False)
                            _compress(path)
                            print(path.relative_to(ROOT))
                        context.close()
                browser.close()
        finally:
            _stop(server.process)


if __name__ == "__main__":
    main()
