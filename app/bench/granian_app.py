"""Conduit for granian (``--interface asgi --factory``), set up as ``conduit serve`` sets it up for
uvicorn: the logging configuration from the settings, and X-Forwarded-For/-Proto believed only from
the proxies in ``FORWARDED_ALLOW_IPS``. Settings come from the environment, as always.

    granian --interface asgi --factory --loop uvloop app.bench.granian_app:create_app

Called in each worker process. Bench-only: granian is a dev dependency.
"""

from __future__ import annotations

import logging.config
import os

from granian.utils.proxies import wrap_asgi_with_proxy_headers

from app.cli import FORWARDED_ALLOW_IPS
from app.main import create_app as create_conduit
from app.observability.logs import logging_config
from config import get_settings


def create_app() -> object:
    settings = get_settings()
    logging.config.dictConfig(logging_config(settings))
    trusted = os.environ.get("FORWARDED_ALLOW_IPS", FORWARDED_ALLOW_IPS)
    return wrap_asgi_with_proxy_headers(create_conduit(settings), trusted_hosts=trusted)
