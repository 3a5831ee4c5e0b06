"""nn package (to be built)."""
