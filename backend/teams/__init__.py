"""Teams, their coaches, and their players (the roster sync space)."""
