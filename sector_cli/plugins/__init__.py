"""Plugin contracts (one per kind), the entry-point registry, and the built-in plugins."""
