"""Every change to a complaint goes through a function in this package."""
