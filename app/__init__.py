"""Conduit: a multi-user publishing platform serving the RealWorld API."""
