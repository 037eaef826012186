"""The physicians' audit page: sign in with a token, work through a queue of judged answers,
agree / override / comment / flag / skip, or rate blind before the verdicts are shown."""

from medjudge.audit.app import create_app
from medjudge.audit.auth import add_reviewer, hash_token, new_token
from medjudge.audit.server import BackgroundServer, check_host, is_loopback, serve

__all__ = [
    "BackgroundServer",
    "add_reviewer",
    "check_host",
    "create_app",
    "hash_token",
    "is_loopback",
    "new_token",
    "serve",
]

