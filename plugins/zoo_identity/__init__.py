"""Built-in zoo plugin: identity."""
