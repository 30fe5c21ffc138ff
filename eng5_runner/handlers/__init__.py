"""One handler per mode; handlers orchestrate and never import each other."""
