"""Async service layer: one public method is one use case and one transaction."""
