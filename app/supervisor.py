"""Several worker processes on one port (``conduit serve --workers N``): uvicorn's supervisor, except
that a stop closes the supervisor's own copy of the listening socket before it tells the workers.

With uvicorn's, the supervisor kept the socket open until the last worker had drained its requests
(up to the graceful-shutdown time), so the kernel went on accepting connections that no worker
would ever serve, and reset them all when the supervisor exited. A load balancer cannot tell such a
connection from a slow request; a refused one it retries on another host at once.
"""

from __future__ import annotations

import uvicorn
from uvicorn.supervisors import Multiprocess


class Supervisor(Multiprocess):
    def terminate_all(self) -> None:
        # Each worker closes its own copy as soon as it is told to stop; then the port refuses.
        for listening in self.sockets:
            listening.close()
        super().terminate_all()


def run_workers(config: uvicorn.Config) -> None:
    """Serve ``config`` with ``config.workers`` processes until SIGTERM or SIGINT, then drain them."""
    Supervisor(config, sockets=[config.bind_socket()]).run()
