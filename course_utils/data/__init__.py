"""Data generators and offline corpora: nothing here downloads anything."""
