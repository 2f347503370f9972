"""``conduit serve`` (or the ceiling) under uvicorn with another event loop or HTTP parser, and
everything else as production has it: logging, forwarded headers, timeouts, the worker supervisor.

    python -m app.bench.uvicorn_variant --loop asyncio --http h11 serve --host 127.0.0.1 --port 8000
    python -m app.bench.uvicorn_variant --loop asyncio --http h11 ceiling --size 12000 --port 8001
    python -m app.bench.uvicorn_variant --loop asyncio --http h11 data-ceiling --port 8002
"""

from __future__ import annotations

import argparse
import sys

from app import cli
from app.bench import ceiling, data_ceiling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], required=True)
    parser.add_argument("--http", choices=["httptools", "h11"], required=True)
    parser.add_argument("app", choices=["serve", "ceiling", "data-ceiling"])
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="the app's own arguments")
    chosen = parser.parse_args()
    # Both `serve` and the ceiling pass these options to uvicorn (worker processes get them in the
    # configuration uvicorn hands them).
    cli.SERVER_OPTIONS.update(loop=chosen.loop, http=chosen.http)
    if chosen.app == "ceiling":
        sys.argv = ["ceiling", *chosen.arguments]
        ceiling.main()
    elif chosen.app == "data-ceiling":
        sys.argv = ["data-ceiling", *chosen.arguments]
        data_ceiling.main()
    else:
        sys.argv = ["conduit", "serve", *chosen.arguments]
        cli.main()


if __name__ == "__main__":
    main()
