"""Built-in zoo plugin: curriculum."""
