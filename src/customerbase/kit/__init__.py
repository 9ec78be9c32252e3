"""Domain-free helpers. Nothing in kit imports a domain package."""
