"""Face masks that respect what is in front of the face: landmark regions, an occlusion segmenter, mask composition."""
