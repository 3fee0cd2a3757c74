"""The composer on the pages: one form for replies, new threads and edits, a plain form without JavaScript."""
from __future__ import annotations

import re

from sqlalchemy import select

from community.extensions import db
from community.forum.models import Post


def test_the_thread_page_ends_with_the_composer_for_members_only(app, client, auth, make):
    composer_uploads = app.jinja_env.globals["composer_uploads"]
    thread = make.thread()
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "data-composer" not in page  # a guest is asked to sign in instead
    auth.login(make.member())
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    form = page[page.index('<form method="post" action="/t/'):]
    assert 'id="reply"' in form and f'data-draft-key="thread:{thread.id}"' in form
    assert 'name="csrf_token"' in form and 'name="body"' in form
    for action in ("bold", "italic", "link", "quote", "code", "list"):
        assert f'data-composer-action="{action}"' in form
    # the image button is static/js/uploads.js's (community/uploads): there when that script is
    assert ('data-composer-action="image"' in form) is composer_uploads()
    assert f'data-board-id="{thread.board_id}"' in form
    assert re.search(r'class="composer-toolbar"[^>]*hidden', form)  # shown by the script only
    assert "js/composer.js" in page and "<script>" not in page.split("</main>")[0]
    assert f'data-author="{thread.author.username}"' in page  # for "Quote selection"


def test_new_thread_reply_and_edit_use_the_composer_with_their_draft_keys(client, auth, make):
    board = make.board()
    member = make.member()
    thread = make.thread(board=board, author=member)
    post = db.session.scalars(select(Post).where(Post.thread_id == thread.id)).one()
    auth.login(member)
    assert f'data-draft-key="board:{board.id}"' in client.get(f"/b/{board.slug}/new").get_data(as_text=True)
    reply = client.get(f"/t/{thread.id}/reply?reply_to={post.id}&quote={post.id}").get_data(as_text=True)
    assert f'data-draft-key="thread:{thread.id}"' in reply and f'name="reply_to" value="{post.id}"' in reply
    assert "&gt; The opening post of this thread." in reply  # the quote is in the box
    edit = client.get(f"/p/{post.id}/edit").get_data(as_text=True)
    assert f'data-draft-key="post:{post.id}"' in edit and "The opening post of this thread.</textarea>" in edit


def test_a_plain_form_post_still_works_and_errors_keep_the_text(client, auth, make):
    board = make.board()
    auth.login(make.member())
    response = client.post(f"/b/{board.slug}/new", data={"title": "ok", "body": "Text that stays put."})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Text that stays put.</textarea>" in page
    assert "Please correct the marked fields." in page
    response = client.post(f"/b/{board.slug}/new", data={"title": "A good title", "body": "Text that is sent."})
    assert response.status_code == 302
