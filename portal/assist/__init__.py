"""Village assistants' pages (村协办员)."""
