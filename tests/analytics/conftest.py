from tests.engagement.conftest import _fresh_engagement  # noqa: F401
