"""Label sets: named, immutably versioned label parameters that /classify and POST /jobs name."""
