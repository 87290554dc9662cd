"""Broken twin of the example plugin."""
