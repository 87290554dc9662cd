"""Defaults every face command shares, in a module with no imports so CLI help stays instant."""

DEFAULT_DETECTOR = "dlib"
"""The detector used when none is named: it installs from PyPI alone (dlib-bin, face-recognition-models)."""

DEFAULT_JUDGE = "dlib_resnet"
"""The identity judge of ``zoo eval``: dlib's ResNet, installed with the default detector; no recipe trains with it."""

DEFAULT_QUALITY = 95
"""JPEG/WebP quality of written photos: PIL's own default (75) visibly blurs a swapped face's skin."""
LOSSY_SUFFIXES = frozenset({".jpg", ".jpeg", ".webp"})
"""Where a photo quality setting means something; PNG, TIFF and BMP are written losslessly."""

MAX_CROP_SIZE = 4096
"""Largest side of an aligned crop ``zoo prepare`` makes: 4096² RGB is 48 MB a face; a typo of 100000 would
ask OpenCV for 30 GB."""
