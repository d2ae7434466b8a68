"""Contracts and runtime shared by every alliance service.

Nothing here knows about a particular service: services plug in through the
``alliance.services`` entry point group and talk to each other only over the bus.
"""
