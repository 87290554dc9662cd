"""Test plugin: each module makes one mistake a plugin author makes."""
