"""Application settings: one validated schema, chosen per environment by ``APP_ENV``."""

from config.settings import AppEnv, Settings, get_settings, load_settings

__all__ = ["AppEnv", "Settings", "get_settings", "load_settings"]
