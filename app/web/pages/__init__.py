"""One module per page (or group of pages) of `spec/frontend-routing.md`."""
