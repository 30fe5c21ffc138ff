"""``eng5-runner-init DIR``: write a ready project folder for a researcher's experiments."""
