"""Built-in zoo plugin: swap."""
