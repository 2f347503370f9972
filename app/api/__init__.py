"""The HTTP API: routers (HTTP only), dependencies, error rendering and middleware."""
