"""A marker for texts that are translated where they are shown, not where they are defined."""


def N_(text: str) -> str:
    """Mark `text` for extraction; it comes back unchanged (the web templates translate it with _())."""
    return text
