"""Queries, one module per aggregate. Functions take the session as their first argument."""
