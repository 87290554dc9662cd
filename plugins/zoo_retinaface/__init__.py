"""Built-in zoo plugin: retinaface."""
