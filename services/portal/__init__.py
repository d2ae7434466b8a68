"""The hub's public portal: the alliance's networks, organisations and clusters."""
