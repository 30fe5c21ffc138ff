"""What a run writes: run paths, atomic files, manifest provenance, the console."""
