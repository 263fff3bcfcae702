"""Reusable widgets shared by screens."""
