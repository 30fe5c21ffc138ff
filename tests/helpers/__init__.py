"""Helpers shared by test modules across folders (one concern per module)."""
