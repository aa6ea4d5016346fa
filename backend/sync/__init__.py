"""/sync: push a device's queued mutations, pull what it missed, in one round trip."""
