"""Built-in plugin: `zoo swap` and `zoo eval` on real photos with trained model folders."""
