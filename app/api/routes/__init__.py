"""One router per resource. Routes parse HTTP, call one service function and shape the response."""
