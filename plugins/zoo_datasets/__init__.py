"""Built-in zoo plugin: datasets."""
