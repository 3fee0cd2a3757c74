"""How the site looks and is found around in: light/dark theme, keyboard shortcuts, tables on phones.

- **Theme.** Colours are CSS custom properties (static/css/site.css); dark ones apply when the system
  asks for dark (`prefers-color-scheme`) unless the reader chose otherwise. The choice (light, dark or
  system) is made with the switch at the end of every page (static/js/theme.js), kept in localStorage and
  in the `theme` cookie, which the server reads to render `data-theme` on <html> (no flash of the wrong
  theme). No form and no CSRF token: a guest's page stays shareable for the page cache, whose key
  includes the theme.
- **Keyboard shortcuts** (static/js/shortcuts.js): j/k next/previous post, r reply, / search, ? help.
- **Tables on phones** become stacked cards (CSS); theme.js labels each cell with its column header.
"""
from __future__ import annotations

from flask import Flask

from ..registry import register_template_slot
from .theme import theme_choice


def init_app(app: Flask) -> None:
    """The page-end switch, dialog and scripts on every page, and `theme_choice()` for base.html."""
    register_template_slot(app, "page_end", "community/appearance/_page_end.html", order=90)
    app.add_template_global(theme_choice, "theme_choice")
