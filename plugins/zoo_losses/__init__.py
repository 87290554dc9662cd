"""Built-in zoo plugin: losses."""
