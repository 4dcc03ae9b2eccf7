"""Pure domain rules: no Flask, no database. Each function cites the article it comes from."""
