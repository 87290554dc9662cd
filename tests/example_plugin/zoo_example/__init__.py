"""Example third-party zoo plugin."""
