"""Figures drawn by the course's own plotting code (matplotlib), one module per topic."""
