"""The matching service: partner search across the alliance, and brokerage-event meetings."""
