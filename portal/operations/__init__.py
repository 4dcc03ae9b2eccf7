"""Transactional use cases: the only code that changes the database. Each commits once."""
