"""Live updates: events about committed changes, fanned out to server-sent event streams.

One interface (:class:`app.events.bus.EventBus`), two backends chosen by configuration: in-process
(one process, the SQLite default) and PostgreSQL LISTEN/NOTIFY (any number of processes and hosts).
"""
