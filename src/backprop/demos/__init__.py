"""Small programs that show the engine at work (``python -m backprop.demos.xor``)."""
