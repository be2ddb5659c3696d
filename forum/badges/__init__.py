"""Badges: signed tokens (tokens.py, pure), and later the badge PDFs and their issuing."""
