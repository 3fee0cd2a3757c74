"""The forum: boards, threads and posts."""
