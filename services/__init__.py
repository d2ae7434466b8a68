"""The alliance services: membership, events, news, matching; each on its own."""
