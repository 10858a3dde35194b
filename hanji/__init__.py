"""Hanji: a self-hostable newsletter and publishing platform."""

__version__ = "0.1.0"
