"""Pages anyone may see: the start page, sign-in, preferences (language, 长辈版)."""
