"""The installed govshare version."""

__version__ = "0.1.0"
