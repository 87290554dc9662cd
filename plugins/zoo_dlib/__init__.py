"""Face components that install from PyPI alone: dlib-bin and face-recognition-models."""
