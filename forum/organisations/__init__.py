"""Organisations that exist beyond one forum: companies, ministries, chambers, universities."""
