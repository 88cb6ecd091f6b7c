"""impactcheck: the Klimacheck for council papers."""

__version__ = "0.1.0"
