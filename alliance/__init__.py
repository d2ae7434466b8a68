"""The ``alliance`` command: runs nodes, the hub and the demo federation."""
