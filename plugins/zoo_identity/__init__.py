"""Built-in zoo plugin: frozen face-identity encoders (MobileFaceNet, ArcFace IResNet).

They take aligned faces (N×3×H×W RGB in [0, 1], any size), never train, and pass gradients
to their input so identity and feature losses can steer a generator.
"""
