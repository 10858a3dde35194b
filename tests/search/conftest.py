from tests.engagement.conftest import make_reader, reader, sign_in  # noqa: F401
