"""Application settings: one validated schema, chosen per environment by ``APP_ENV``."""

from config.settings import AppEnv, EventsBackend, LogFormat, Settings, get_settings, load_settings

__all__ = ["AppEnv", "EventsBackend", "LogFormat", "Settings", "get_settings", "load_settings"]
