"""Organizations (tenants), their secret keys, and request authentication."""
