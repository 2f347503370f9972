"""Reacting to the process being asked to stop, before the server starts its graceful shutdown.

Uvicorn (one worker or several) drains open connections on SIGTERM and only then runs the app's
lifespan shutdown; an event stream never ends by itself, so it would hold the shutdown for the whole
grace period. Chaining a handler in front of the server's lets the streams end at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

TERMINATION_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def on_termination(callback: Callable[[], None]) -> Iterator[None]:
    """While active, SIGTERM/SIGINT first schedule ``callback`` on the running loop, then do what
    they did before (the server's own handler). Outside the main thread this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in TERMINATION_SIGNALS}

    def handler(sig: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(callback)
        chained = previous[signal.Signals(sig)]
        if callable(chained):
            chained(sig, frame)
        else:  # no server handler (SIG_DFL or SIG_IGN): put it back and let it act as it would have
            signal.signal(sig, chained)
            signal.raise_signal(sig)

    for sig in TERMINATION_SIGNALS:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, original in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, original)
