"""Markdown is rendered once and sanitized; hostile input never reaches the page as markup."""
import pytest

from community import text

HOSTILE = [
    ("<script>alert(1)</script>", "<script"),
    ('<img src="x" onerror="alert(1)">', "onerror"),
    ("[click](javascript:alert(1))", 'href="javascript:'),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', "javascript:"),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
    ("![x](data:image/svg+xml;base64,PHN2Zz4=)", 'src="data:'),
    ("<svg><script>alert(1)</script></svg>", "<svg"),
    ("<math><mi>x</mi></math>", "<math"),
    ("<iframe src='https://evil.example'></iframe>", "<iframe"),
    ("<style>body{display:none}</style>", "<style"),
    ('<p style="position:fixed">x</p>', "style="),
    ('<div onclick="steal()">x</div>', "onclick"),
    ("<object data='x.swf'></object>", "<object"),
    ("<form action='https://evil.example'><input name=p></form>", "<form"),
    ('<a href="vbscript:msgbox(1)">x</a>', "vbscript:"),
    ("<base href='https://evil.example/'>", "<base"),
    ("<meta http-equiv='refresh' content='0;url=https://evil.example'>", "<meta"),
    ('<img src="https://example.com/a.png" srcset="javascript:alert(1)">', "srcset"),
    ("<p class='admin-banner'>x</p>", "admin-banner"),
    ('<a href="&#106;avascript:alert(1)">x</a>', "avascript:"),
]


@pytest.mark.parametrize("source,forbidden", HOSTILE)
def test_hostile_markup_is_neutralised(source, forbidden):
    html = text.render(source).html
    assert forbidden.lower() not in html.lower()


def test_markdown_renders_common_formatting():
    html = text.render("# Title\n\n**bold** _em_ `code`\n\n- one\n- two\n\n> quoted\n\n```\nx = 1\n```").html
    for fragment in ("<h1>Title</h1>", "<strong>bold</strong>", "<em>em</em>", "<code>code</code>",
                     "<li>one</li>", "<blockquote>", "<pre><code>x = 1"):
        assert fragment in html


def test_every_link_gets_nofollow_ugc_noopener():
    html = text.render("[site](https://example.com) and https://example.org bare").html
    assert html.count('rel="nofollow ugc noopener"') == 2
    assert 'href="https://example.org"' in html


def test_mentions_link_only_existing_members_with_their_real_spelling():
    rendered = text.render("hi @Alice and @nobody, mail a@b.com", known_members=lambda names: {"alice": "alice"})
    assert '<a href="/u/alice" class="mention" rel="nofollow ugc noopener">@alice</a>' in rendered.html
    assert "@nobody" in rendered.html and "/u/nobody" not in rendered.html
    assert rendered.mentions == ["alice"]


def test_mentions_inside_code_are_not_links():
    rendered = text.render("`@alice` and\n\n    @alice", known_members=lambda names: {"alice": "alice"})
    assert "/u/alice" not in rendered.html
    assert rendered.mentions == []


def test_chinese_text_survives_rendering():
    html = text.render("如何办理**退货**流程？").html
    assert "如何办理<strong>退货</strong>流程？" in html


def test_excerpt_is_plain_text_cut_at_a_word():
    html = text.render("**Hello** <em>world</em> " + "word " * 100).html
    out = text.excerpt(html, 40)
    assert "<" not in out and out.endswith("…") and len(out) <= 41


def test_bare_urls_become_links_but_not_in_code():
    html = text.render("see www.example.com now\n\n`https://a.example` and\n\n    https://b.example\n").html
    assert '<a href="http://www.example.com" rel="nofollow ugc noopener">www.example.com</a>' in html
    assert 'href="https://a.example"' not in html and 'href="https://b.example"' not in html


def test_raw_html_links_get_the_rel_too():
    html = text.render('<a href="https://example.com" rel="me">x</a>').html
    assert 'rel="nofollow ugc noopener"' in html and 'rel="me"' not in html


def test_emoji_shortcodes_become_emoji_except_in_code():
    html = text.render("thanks :smile: :thumbsup:\n\n`:smile:`\n\n```\n:fox_face:\n```").html
    assert "thanks 😄 👍" in html
    assert "<code>:smile:</code>" in html and ":fox_face:" in html
    assert text.render("at 10:30:45 the time:stays").html.strip() == "<p>at 10:30:45 the time:stays</p>"
