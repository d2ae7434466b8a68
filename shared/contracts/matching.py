"""Wire contracts of the matching service: what it announces and sends between nodes."""

from __future__ import annotations

SERVICE = "matching"
