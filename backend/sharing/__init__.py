"""Share links: signed, read-only capabilities to watch one match."""
