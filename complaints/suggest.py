"""Category suggestions for a citizen who chose "other": each leaf category's keywords, in
English, Thai and Chinese, are looked for in the description.

A keyword matches as a case-folded substring of the description (after Unicode NFKC, so
full-width letters and compatibility forms compare equal), not as a whole word: Thai and
Chinese are written without spaces between words. A category scores one point per keyword
found, in any of its languages; ties go to the category whose matched keywords are longer
(more specific), then to the category order."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from complaints.models import ComplaintCategory
from identity.models import Jurisdiction

KEYWORD_COLUMNS = ("keywords_en", "keywords_th", "keywords_zh_hans")
SUGGESTIONS_MAX = 5


@dataclass(frozen=True)
class Suggestion:
    category: ComplaintCategory
    score: int
    matched: tuple[str, ...]


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def keywords_of(category: ComplaintCategory) -> set[str]:
    """The category's keywords in every language, normalised, each once."""
    words: set[str] = set()
    for column in KEYWORD_COLUMNS:
        for word in (getattr(category, column, "") or "").split(","):
            word = normalise(word.strip())
            if word:
                words.add(word)
    return words


def suggest_categories(
    jurisdiction: Jurisdiction, description: str, *, limit: int = SUGGESTIONS_MAX
) -> list[Suggestion]:
    """The jurisdiction's active leaf categories whose keywords the description contains,
    best first; empty when none does. One query."""
    text = normalise(description)
    if not text.strip():
        return []
    categories = list(
        ComplaintCategory.objects.filter(jurisdiction=jurisdiction).order_by("order", "code")
    )
    by_pk = {category.pk: category for category in categories}
    parents = {category.parent_id for category in categories if category.parent_id}
    found: list[tuple[int, int, int, Suggestion]] = []
    for position, category in enumerate(categories):
        if category.pk in parents or not _active_with_ancestors(category, by_pk):
            continue
        matched = sorted(word for word in keywords_of(category) if word in text)
        if matched:
            suggestion = Suggestion(category=category, score=len(matched), matched=tuple(matched))
            found.append((-len(matched), -sum(map(len, matched)), position, suggestion))
    found.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in found[:limit]]


def _active_with_ancestors(
    category: ComplaintCategory, by_pk: dict[int, ComplaintCategory]
) -> bool:
    """Active, and so is every category above it (the tree is shallow)."""
    node: ComplaintCategory | None = category
    seen: set[int] = set()
    while node is not None and node.pk not in seen:
        if not node.is_active:
            return False
        seen.add(node.pk)
        node = by_pk.get(node.parent_id) if node.parent_id else None
    return True
