"""The events service: the alliance calendar, invitations, calls for speakers and
registrations decided by the event's owner node (issue 9)."""
