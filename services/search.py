"""Catalogue search in English, Thai and Simplified Chinese.

Thai and Chinese are written without spaces between words, so PostgreSQL's own parser cannot
find their words. Each service therefore keeps a `search_document`: the tokens of its name,
summary, keywords and description in all three languages, separated by spaces —

- English (and any other script): lowercased words, punctuation stripped;
- Thai: words segmented by PyThaiNLP's dictionary-based `newmm` engine, each dictionary
  compound followed by the words it is made of (บัตรห้องสมุด, library card: บัตร, ห้องสมุด), so
  that a search for ห้องสมุด finds it;
- Chinese: every character and every pair of neighbouring characters of each run of Han
  characters (unigrams and bigrams, the usual CJK indexing: it needs no dictionary, so it finds
  words no dictionary knows, such as names of local services).

Queries are cut with the same tokenizer. On PostgreSQL a service matches when its document
holds every token of the query, looked up in the GIN index over
`to_tsvector('simple', search_document)` (migration 0002). When nothing matches as typed,
English words of four letters or more are looked up again with one typo forgiven ("drivng
licence"): the query then asks for any word one edit away, which the same index answers in
a millisecond or two. Matches are ranked by where the words are — all in the name first, then
all in the summary, then elsewhere — and shorter names first; typo matches the same way, with
the corrected words.

Ranking reads the short name and summary columns only: ts_rank and word_similarity over the
whole document (a few kilobytes, stored compressed) cost a fraction of a millisecond per
matching row, which a common word (hundreds of matches among 10,000 services) turns into
hundreds of milliseconds; so does a trigram match (`search_document %> q`) over the document,
which is why pg_trgm is not used (migration 0003 drops the trigram index of 0002). A stored,
weighted tsvector column does not help either: a service's vector is about 2.5 kB, stored
compressed, so ts_rank or a weighted match (`'permit':A`) decompresses it for every matching
row (slower than reading the name), and PostgreSQL, which prices `@@` on a stored vector as
cheap, scans the table instead of the index for a common word.

Even the name comparison costs a few microseconds per match, so a page of a common word is
read without ranking every match when it can be: see `Search`.

On SQLite (tests, quick local runs) each token of the query must occur in the document, with
the same ranking and no typo forgiveness.
"""

import datetime
import functools
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connections
from django.db.models import Case, Count, F, Func, Max, Q, QuerySet, Value, When
from django.db.models.functions import Length, Lower, StrIndex

from services.models import Service

LANGUAGES = ("en", "th", "zh_hans")

# Han: CJK unified ideographs, extension A, compatibility ideographs and extension B.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df"
_THAI = "\u0e00-\u0e7f"
# A run of Han characters, a run of Thai characters (vowel signs and tone marks are not word
# characters to Python, so the whole block is taken), or a word of any other script.
_RUNS = re.compile(rf"([{_HAN}]+)|([{_THAI}]+)|([^\W_{_HAN}{_THAI}]+)")
_THAI_WORD = re.compile(f"[{_THAI}]")
_HAN_WORD = re.compile(f"[{_HAN}]")
_SPACELESS = re.compile(f"[{_HAN}{_THAI}]")


def _thai_words(run: str, *, for_query: bool) -> list[str]:
    # Imported on first use: loading the dictionary takes a fraction of a second.
    from pythainlp.tokenize import word_tokenize

    words = [
        word for word in word_tokenize(run, engine="newmm", keep_whitespace=False) if word.strip()
    ]
    if for_query:
        return words
    return [part for word in words for part in (word, *_thai_parts(word))]


_compounds_lock = threading.Lock()


@functools.cache
def _compounds() -> Any:
    """A private copy of PyThaiNLP's dictionary (about a second to build, once per process)."""
    from pythainlp.corpus import thai_words
    from pythainlp.util import Trie

    return Trie(thai_words())


@functools.lru_cache(maxsize=20_000)
def _thai_parts(word: str) -> tuple[str, ...]:
    """The words a dictionary compound is made of (บัตรห้องสมุด → บัตร, ห้องสมุด), so that a
    search for a part finds the compound; () for a word that is not a compound."""
    from pythainlp.tokenize import word_tokenize

    if len(word) < 4:
        return ()
    with _compounds_lock:
        dictionary = _compounds()
        if word not in dictionary:
            return ()
        dictionary.remove(word)
        try:
            parts = word_tokenize(word, custom_dict=dictionary, engine="newmm")
        finally:
            dictionary.add(word)
        # Only real words of some length: หนังสือ (book) is not หนัง (leather) + สือ.
        if len(parts) < 2 or any(len(part) < 3 or part not in dictionary for part in parts):
            return ()
    return tuple(parts)


def _han_grams(run: str, *, for_query: bool) -> list[str]:
    bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
    if for_query:
        # Every bigram of the query must be in the document: that is the phrase, give or take
        # order. A single character can only be looked up as itself.
        return bigrams or [run]
    return [*run, *bigrams]


def tokens(text: str, *, for_query: bool = False) -> list[str]:
    """The search tokens of a text, in order (repeats kept)."""
    found: list[str] = []
    for han, thai, other in _RUNS.findall(text or ""):
        if han:
            found.extend(_han_grams(han, for_query=for_query))
        elif thai:
            found.extend(_thai_words(thai, for_query=for_query))
        else:
            found.append(other.casefold())
    return found


def _unique(items: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item


def _texts(service: Service, field: str) -> list[str]:
    return [str(getattr(service, f"{field}_{language}") or "") for language in LANGUAGES]


def document_of(service: Service) -> str:
    """The search document of a service: every token of its texts once, those of its name
    first."""
    return " ".join(
        _unique(
            token
            for field in ("name", "summary", "keywords", "description")
            for text in _texts(service, field)
            for token in tokens(text)
        )
    )


# Querying ----------------------------------------------------------------------------------


class DocumentVector(Func):
    """to_tsvector('simple', search_document), spelled exactly as the index expression of
    migration 0002 so that PostgreSQL uses the index."""

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


def _quoted(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Shorter words are taken as typed: one letter off in "car" is another word.
FUZZY_MIN_LENGTH = 4


def one_typo_away(word: str) -> set[str]:
    """Every word one deletion, swap of neighbours, replacement or insertion of a letter
    away (a few hundred for a word of eight letters)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return {
        *(head + tail[1:] for head, tail in splits if tail),
        *(head + tail[1] + tail[0] + tail[2:] for head, tail in splits if len(tail) > 1),
        *(head + letter + tail[1:] for head, tail in splits if tail for letter in _LETTERS),
        *(head + letter + tail for head, tail in splits for letter in _LETTERS),
    }


def _is_fuzzy(token: str) -> bool:
    return len(token) >= FUZZY_MIN_LENGTH and token.isascii() and token.isalpha()


def tsquery_of(query_tokens: list[str], *, alternatives: dict[str, list[str]] | None = None) -> str:
    """The text of a to_tsquery: every token (AND). Thai tokens match as prefixes, because the
    dictionary may keep a compound such as รถยนต์ส่วนบุคคล as one word in the document. A token
    with `alternatives` matches any of them instead (a word with a typo: its corrections)."""
    terms = []
    for token in _unique(query_tokens):
        if _THAI_WORD.match(token):
            terms.append(_quoted(token) + ":*")
        elif alternatives and token in alternatives:
            words = alternatives[token] or [token]
            terms.append("(" + " | ".join(_quoted(word) for word in words) + ")")
        else:
            terms.append(_quoted(token))
    return " & ".join(terms)


# For each candidate word, whether some document holds it: one probe of the GIN index each
# (the planner estimates one word well; an OR of hundreds it would answer with a full scan).
_PROBE = """
SELECT word FROM unnest(%s::text[]) AS word
WHERE EXISTS (
    SELECT 1 FROM services_service
    WHERE to_tsvector('simple'::regconfig, search_document)
          @@ to_tsquery('simple'::regconfig, quote_literal(word))
)
"""


def corrections(query_tokens: list[str], *, using: str) -> dict[str, list[str]]:
    """For each English word of the query that no document holds: the words one typo away
    that some document does hold (none when nothing is close)."""
    candidates = {
        token: one_typo_away(token) for token in _unique(query_tokens) if _is_fuzzy(token)
    }
    if not candidates:
        return {}
    words = sorted(set(candidates) | set().union(*candidates.values()))
    with connections[using].cursor() as cursor:
        cursor.execute(_PROBE, [words])
        known = {row[0] for row in cursor.fetchall()}
    return {
        token: sorted(variants & known)
        for token, variants in candidates.items()
        if token not in known
    }


def _is_postgres(queryset: QuerySet[Service]) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def _column_for(token: str, field: str) -> tuple[str, Any]:
    """The column of `field` in the token's script (an alias name and its expression): the
    Chinese or Thai text as it is, the English lowercased."""
    if _HAN_WORD.match(token):
        return f"{field}_zh_hans", F(f"{field}_zh_hans")
    if _THAI_WORD.match(token):
        return f"{field}_th", F(f"{field}_th")
    return f"{field}_en_lower", Lower(f"{field}_en")


def _holds_all(field: str, words: list[list[str]]) -> tuple[dict[str, Any], Q]:
    """Every word (any of its spellings) is in the field, each in its own language's text.

    Written as strpos(text, word) > 0 rather than LIKE '%word%': the same test, but PostgreSQL
    guesses that a third of the rows pass it (a two-hundredth for LIKE), which is what lets it
    walk the name-length index when a word is common (see `Search.page`)."""
    columns: dict[str, Any] = {}
    condition = Q()
    for number, spellings in enumerate(words):
        any_spelling = Q()
        for variant, spelling in enumerate(spellings):
            column, expression = _column_for(spelling, field)
            position = f"_{column}_{number}_{variant}"
            columns[position] = StrIndex(expression, Value(spelling))
            any_spelling |= Q(**{f"{position}__gt": 0})
        condition &= any_spelling
    return columns, condition


# Within each rank, shorter (more specific) names first.
_NAME_ORDER = (Length("name_en"), "pk")


def _by_relevance(queryset: QuerySet[Service], words: list[list[str]]) -> QuerySet[Service]:
    """Services whose names hold every word of the query first, then those whose summaries
    do, then the rest; shorter (more specific) names first within each. Each word is looked
    for in the text of its own language only, which keeps this cheap for thousands of
    matches."""
    name_columns, in_names = _holds_all("name", words)
    summary_columns, in_summaries = _holds_all("summary", words)
    return (
        queryset.alias(**name_columns, **summary_columns)
        .annotate(
            relevance=Case(
                When(in_names, then=Value(2)),
                When(in_summaries, then=Value(1)),
                default=Value(0),
            )
        )
        .order_by("-relevance", *_NAME_ORDER)
    )


def _in_names(queryset: QuerySet[Service], words: list[list[str]]) -> QuerySet[Service]:
    """The head of `_by_relevance`: the services whose names hold every word, in the same
    order."""
    name_columns, in_names = _holds_all("name", words)
    return queryset.alias(**name_columns).filter(in_names).order_by(*_NAME_ORDER)


@dataclass(frozen=True)
class State:
    """How many services match, and when the latest of them changed (for ETags)."""

    total: int
    latest: datetime.datetime | None


def state_of(services: QuerySet[Service]) -> State:
    found = services.order_by().aggregate(total=Count("*"), latest=Max("updated_at"))
    return State(found["total"], found["latest"])


@dataclass
class Search:
    """The services that match a query: `found` in no order, `matches` best first, and on
    PostgreSQL the head of that order, the services whose names hold every word
    (`name_matches`, None elsewhere).

    Ranking every match costs a few microseconds per row, and a common word ("permit") matches
    thousands. A page that lies within the name matches is therefore read from `name_matches`:
    PostgreSQL then walks the index on the name length, shortest first, and stops at the end
    of the page, a few dozen rows in; for a rare word it takes the full-text index as before."""

    found: QuerySet[Service]
    matches: QuerySet[Service]
    name_matches: QuerySet[Service] | None = None
    known_state: State | None = None

    def state(self) -> State:
        """How many match and when the latest changed: one query, once."""
        if self.known_state is None:
            self.known_state = state_of(self.found)
        return self.known_state

    def page(
        self,
        start: int,
        stop: int,
        prepare: Callable[[QuerySet[Service]], QuerySet[Service]] = lambda services: services,
    ) -> list[Service]:
        """The services from `start` to `stop` in the order of `matches`; `prepare` adds what
        the caller needs to the query (select_related, only)."""
        if self.name_matches is not None:
            head = list(prepare(self.name_matches)[start:stop])
            if len(head) == stop - start:
                return head
        return list(prepare(self.matches)[start:stop])


def listing(services: QuerySet[Service]) -> Search:
    """Every service of the queryset, in its own order, as a search result."""
    return Search(services, services)


def search(queryset: QuerySet[Service], q: str) -> Search:
    """The services of `queryset` that match the query, best first. A query without any word
    leaves the queryset as it is.

    On PostgreSQL, when no service holds every word as typed, English words of four letters
    or more are looked up with one typo forgiven ("drivng licence") and ranked by the words
    they were corrected to."""
    query_tokens = tokens(q, for_query=True)
    if not query_tokens:
        return listing(queryset)
    words = [[token] for token in _unique(query_tokens)]
    if not _is_postgres(queryset):
        for token in _unique(query_tokens):
            queryset = queryset.filter(search_document__icontains=token)
        return Search(queryset, _by_relevance(queryset, words))
    searched = queryset.alias(search_vector=DocumentVector(F("search_document")))
    found = searched.filter(search_vector=_tsquery(tsquery_of(query_tokens)))
    result = Search(found, _by_relevance(found, words), _in_names(found, words))
    # The count the list needs anyway tells whether to look for typos.
    if not any(_is_fuzzy(token) for token in query_tokens) or result.state().total:
        return result
    alternatives = corrections(query_tokens, using=queryset.db)
    if not alternatives:  # every word is known: they are just not found together
        return result
    found = searched.filter(
        search_vector=_tsquery(tsquery_of(query_tokens, alternatives=alternatives))
    )
    words = [alternatives.get(token) or [token] for token in _unique(query_tokens)]
    return Search(found, _by_relevance(found, words), _in_names(found, words))


def search_services(queryset: QuerySet[Service], q: str) -> QuerySet[Service]:
    """The services of `queryset` that match the query, best first (see `search`)."""
    return search(queryset, q).matches


def _tsquery(text: str) -> SearchQuery:
    return SearchQuery(text, config="simple", search_type="raw")
