"""Membership service: member clusters, their organisations and the network profile."""
