"""The benchmark behind ``conduit bench`` and ``scripts/bench``: seed a database at a chosen scale,
serve it with the production server, load each endpoint with wrk, and compare with bare ceilings.

Modules: ``scales`` (sizes), ``dataset`` (deterministic rows), ``seeding`` (bulk loads), ``cluster``
(the kept PostgreSQL server), ``endpoints`` (what is measured), ``writers`` (the contention
scenarios' accounts), ``servers`` and ``ceiling`` (processes under load), ``data_ceiling`` (each
read's statement on the bare driver), ``write_ceiling`` (INSERT + COMMIT on the bare driver),
``commands`` (how each ``--server`` choice runs them, helped by ``uvicorn_variant`` and
``granian_app``), ``wrk`` (the load generator), ``statements`` (SQL per request), ``report``, ``runner``.
"""
