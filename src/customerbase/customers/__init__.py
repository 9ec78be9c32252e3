"""Customers: the records every account, card and loan hangs off."""
