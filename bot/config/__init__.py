"""Configuration every room reads: the settings (env and .env) and where the index lives."""
