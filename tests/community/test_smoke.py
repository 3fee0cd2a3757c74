def test_home_lists_public_boards_for_guests(client, make):
    make.board(name="Product help")
    make.board(name="Secret staff room", visibility="staff")
    page = client.get("/").get_data(as_text=True)
    assert "Product help" in page
    assert "Secret staff room" not in page


def test_member_starts_thread_and_guest_reads_it(client, auth, make):
    make.board(slug="help")
    alice = make.member("alice")
    auth.login(alice)
    response = client.post("/b/help/new", data={"title": "How do I reset my router?", "body": "It blinks **red**."})
    assert response.status_code == 302
    auth.logout()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "How do I reset my router?" in page
    assert "<strong>red</strong>" in page
