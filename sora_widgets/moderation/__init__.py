"""Moderation (placeholder until __init__ is written)."""
