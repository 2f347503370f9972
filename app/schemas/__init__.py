"""Pydantic models: the API's request and response shapes, and the validated inputs services accept."""
