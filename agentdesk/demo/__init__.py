"""Demo data for every app (the top layer: it seeds the others, nothing imports it)."""
