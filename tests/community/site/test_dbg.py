import re, html as H
from community.settings import save as save_settings
def words(page):
    page = re.sub(r"(?s)<(script|style|code|pre)\b.*?</\1>", " ", page)
    attrs = re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]*)"', page)
    text = re.sub(r"(?s)<[^>]+>", "\n", page)
    nodes = [H.unescape(t).strip() for t in text.split("\n")] + [H.unescape(a) for a in attrs]
    return [n for n in nodes if re.search(r"[A-Za-z]{3,}", n)]
def test_dbg(client, auth, make, db):
    b = make.board("lounge", name="Lounge", name_zh="休息室")
    make.thread(board=b, title="第一个帖子", body="你好，世界。")
    save_settings({"site.name": "示例社区"}) if False else None
    db.session.commit()
    for role in (None, "member", "staff", "moderator"):
        c = client
        if role:
            m = make.member(f"zz{role}", role=role, locale="zh_CN")
            auth.login(m)
        else:
            c.set_cookie("lang", "zh_CN")
        for url in ("/", "/latest", "/b/lounge", "/t/1", "/roadmap", "/leaderboard", "/rewards", "/badges", "/search?q=x", "/transparency", "/developers/api", "/notifications", "/messages", "/bookmarks", "/drafts", "/settings", "/crm/dashboard", "/review", "/mod/log"):
            r = c.get(url)
            if r.status_code != 200: continue
            ws = sorted(set(words(r.get_data(as_text=True))))
            print(role, url, ws[:60])
        if role: auth.logout()
