"""Pages of a signed-in resident."""
