"""Operations: health checks and the guards every request passes through."""
