"""Video in ``zoo swap``: streaming decode → track → smooth → batched swap → paste back → encode."""
