"""Built-in curriculum stages: build samples, grow, upscale, train, evaluate, export, push."""
