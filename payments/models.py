"""Domain models arrive with this app's issue."""
