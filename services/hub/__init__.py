"""The alliance hub: admission of nodes and their keys, the ALLIANCE stream, the portal."""
