"""What people type into search boxes."""


def search_text(value: str, max_length: int = 100) -> str:
    """Words typed into a search box, with control characters (NUL among them, which PostgreSQL
    refuses) and runs of spaces made single spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())[:max_length]
