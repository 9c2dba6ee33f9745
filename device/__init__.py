"""Hardware-facing code: printer bytes and layouts; knows nothing of submissions."""
