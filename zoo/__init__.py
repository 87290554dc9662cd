"""zoo core."""
