"""Built-in zoo plugin: faces."""
