"""Synthetic demo data: regions, the embedded registries, residents and one staff user per role."""
