"""Turn member-written Markdown into safe HTML. The one place that knows markdown-it and bleach.

markdown-it does the parsing: bare URLs are linked by its `linkify` option (linkify-it-py), and emoji
shortcodes (`:smile:`) are replaced by a core rule that hands text tokens to the `emoji` package, so code
spans and blocks (other token types) keep both as written.

Rendering happens once, on save; the source and the sanitized HTML are both stored. Raw HTML in
the source is parsed and then filtered by an allowlist, so the sanitizer is the only gatekeeper.

Pictures: only this site's own uploads (`/uploads/...`) stay pictures. An image from anywhere else becomes
a link to it (its alt text, or its address, as the link text): a reader's browser never fetches a third
party's picture, so their address, language and the moment they read the post do not leak to it, and the
CSP can keep `img-src 'self'`. (A proxy would do the same but is an SSRF door and costs bandwidth.)
"""
from __future__ import annotations

import html as _html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import bleach
import emoji
from bleach.html5lib_shim import Filter
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
})
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "class", "rel"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "code": ["class"],
    "ol": ["start"],
    "th": ["align"],
    "td": ["align"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

MENTION_RE = re.compile(r"(?<![\w@/])@([A-Za-z0-9_][A-Za-z0-9_.-]{1,30}[A-Za-z0-9_]|[A-Za-z0-9_]{2})")
_CLASS_OK = re.compile(r"^(mention|language-[A-Za-z0-9_+-]{1,30})$")


@dataclass
class Rendered:
    html: str
    mentions: list[str] = field(default_factory=list)  # usernames as written, each once


def mention_candidates(source: str) -> list[str]:
    """Return the @names in `source`, in order, each once (case-insensitively)."""
    seen, names = set(), []
    for match in MENTION_RE.finditer(source):
        name = match.group(1)
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def render(source: str, known_members: Callable[[Iterable[str]], dict[str, str]] | None = None,
           profile_url: Callable[[str], str] = lambda name: f"/u/{name}") -> Rendered:
    """Render Markdown to sanitized HTML, linking @mentions of members that exist.

    `known_members(names)` maps the casefolded form of each existing name to its real spelling.
    """
    candidates = mention_candidates(source)
    known = known_members(candidates) if (known_members and candidates) else {}
    env = {"known": known, "profile_url": profile_url, "found": []}
    raw = _markdown().render(source, env)
    html = _cleaner().clean(raw)
    return Rendered(html=html, mentions=list(dict.fromkeys(env["found"])))


@lru_cache(maxsize=64)
def plain_text(html: str) -> str:
    """Return the text of sanitized HTML, for excerpts and the search index.

    Memoized (a pure function of its argument): a new post's text is asked by its CRM timeline excerpt and
    by its sentiment, each a bleach pass otherwise."""
    text = bleach.clean(html, tags=set(), strip=True)
    return re.sub(r"\s+", " ", _unescape(text)).strip()


@lru_cache(maxsize=256)
def excerpt(html: str, length: int = 200) -> str:
    """Return the first `length` characters of the text of `html`, cut at a word where possible.

    Memoized (a pure function of its arguments): every thread page's meta description asks for its opening
    post's excerpt, and sanitizing it again was a few per cent of a signed-in page (bench/README.md, issue 18).
    """
    text = plain_text(html)
    if len(text) <= length:
        return text
    cut = text[:length]
    space = cut.rfind(" ")
    return (cut[:space] if space > length * 0.6 else cut).rstrip() + "…"


def quote(source: str, username: str, post_url: str) -> str:
    """Return Markdown that quotes `source`, attributed to `username` with a link to the post."""
    body = "\n".join("> " + line for line in source.strip().splitlines())
    return f"> [@{username}]({post_url}):\n>\n{body}\n\n"


def _unescape(text: str) -> str:
    return _html.unescape(text)


def _mention_rule(state, silent):
    pos = state.pos
    if state.src[pos] != "@":
        return False
    # "[@name](url)" is a link someone wrote (the Quote button's attribution, say), not a mention
    if pos > 0 and (state.src[pos - 1].isalnum() or state.src[pos - 1] in "_@/["):
        return False
    match = MENTION_RE.match(state.src, pos)
    if not match:
        return False
    name = match.group(1)
    real = state.env.get("known", {}).get(name.casefold()) if isinstance(state.env, dict) else None
    if not real:
        return False
    if not silent:
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": state.env["profile_url"](real), "class": "mention"}
        token = state.push("text", "", 0)
        token.content = "@" + real
        state.push("link_close", "a", -1)
        state.env["found"].append(real)
    state.pos = match.end()
    return True


def _emoji_rule(state) -> None:
    """Replace `:shortcode:` in text tokens with the emoji (code spans and blocks are other tokens)."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        for token in block.children:
            if token.type == "text" and ":" in token.content:
                token.content = emoji.emojize(token.content, language="alias")


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.linkify.set({"fuzzy_email": False})  # "mail a@b.com" stays text, as it always has
    md.inline.ruler.before("emphasis", "mention", _mention_rule)
    md.core.ruler.after("text_join", "emoji", _emoji_rule)  # after text_join: ":smile:" is one token then
    return md


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    if name == "class":
        return bool(_CLASS_OK.match(value)) or (tag == "a" and value == "outside-image")
    if name in ("width", "height", "start"):
        return value.isdigit() and len(value) <= 5
    if name == "align":
        return value in ("left", "right", "center")
    return True


LOCAL_IMAGE = re.compile(r"^/uploads/[0-9a-f]{32}\.[a-z]{2,4}$")


class OutsideImagesAsLinks(Filter):
    """Turn every <img> whose src is not one of our uploads into a link to that address."""

    def __iter__(self):
        in_link = 0
        for token in super().__iter__():
            if token.get("name") == "a" and token.get("type") in ("StartTag", "EndTag"):
                in_link += 1 if token["type"] == "StartTag" else -1
            if token.get("type") not in ("EmptyTag", "StartTag") or token.get("name") != "img":
                yield token
                continue
            attrs = token.get("data") or {}
            src = attrs.get((None, "src"), "")
            if LOCAL_IMAGE.match(src):
                yield token
                continue
            if not src:
                continue  # no address: nothing to show or link
            label = attrs.get((None, "alt")) or src
            if in_link > 0:  # inside a link already: its text only (a link in a link is not HTML)
                yield {"type": "Characters", "data": label}
                continue
            yield {"type": "StartTag", "name": "a", "namespace": token.get("namespace"),
                   "data": {(None, "href"): src, (None, "rel"): LINK_REL, (None, "class"): "outside-image"}}
            yield {"type": "Characters", "data": label}
            yield {"type": "EndTag", "name": "a", "namespace": token.get("namespace")}



class _LinkRel(Filter):
    """Give every link, written in Markdown or in raw HTML, rel="nofollow ugc noopener"."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] == "StartTag" and token["name"] == "a":
                token["data"] = {**token["data"], (None, "rel"): LINK_REL}
            yield token


@lru_cache(maxsize=1)
def _cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_allow_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[OutsideImagesAsLinks, _LinkRel],
    )
