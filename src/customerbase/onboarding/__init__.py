"""Onboarding in depth: the people of a business, the consent ledger, corrections, look-up."""
