"""The news service: the alliance's news in many languages, translated between networks."""
