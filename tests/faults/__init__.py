"""Faults and overload on PostgreSQL, against live servers: a database restart, SIGTERM, clients
going away, a commit that fails, and a soak run; the slow ones are marked ``load``."""
