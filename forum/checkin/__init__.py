"""Check-in at the venue: one service (services.check_in) for the scanner page, the API and, later, offline sync."""
