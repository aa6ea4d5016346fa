"""Matches, their events and lineups (each match is a sync space)."""
