"""Where the application's log lines go when the operator configured nothing.

The server writes them to standard error (systemd's journal, a container's log): time, level, logger
and message, from INFO up. An operator's own configuration wins: with any handler on the root logger
(gunicorn's `--log-config`, a `logging.config` call in a wrapper, pytest) nothing is added.

What the lines hold: paths, endpoints, user ids, refused single sign-on logins with the user name the
identity provider sent, the state of the directory service, and for an internal error a traceback
without SQL parameters and without anything the request carried (web/errors.py). Never answers,
texts of a check, passwords or uploaded files.
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure() -> None:
    logger = logging.getLogger("impactcheck")
    if logging.getLogger().handlers or logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
