"""Data access: engine, unit of work, models and the queries (repositories) built on them."""
