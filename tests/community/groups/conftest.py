"""Groups tests: the admin tests' people (one per role), clients signed in as them, and API callers."""
from tests.community.admin.conftest import api_as, as_role, people  # noqa: F401  (fixtures)
