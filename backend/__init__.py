"""Touchline: the sync server, REST API and live channels behind the pitch-side web app."""
