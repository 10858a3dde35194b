"""The studio's views, one module per screen; each is parse → getter → action → render."""
