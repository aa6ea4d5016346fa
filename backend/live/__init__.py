"""Live match channels: changes fanned out to WebSocket subscribers after they commit."""
