"""Built-in zoo plugin: synthfaces."""
