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

Queries are cut with the same tokenizer. On PostgreSQL the document is indexed twice (migration
0002): full text over `to_tsvector('simple', search_document)` for the tokens, and trigrams
(pg_trgm) for English typos ("drivng licence"). A service matches when the document holds every
token of the query, or — for a query without Thai or Chinese — when the query is word-similar
to it; the best matches come first, and name tokens count double (they are written twice into
the document).

On SQLite (tests, quick local runs) each token of the query must occur in the document.
"""

import functools
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db import connections
from django.db.models import F, FloatField, Func, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from services.models import Service

LANGUAGES = ("en", "th", "zh_hans")

# Han: CJK unified ideographs, extension A, compatibility ideographs and extension B.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df"
_THAI = "\u0e00-\u0e7f"
# A run of Han characters, a run of Thai characters (vowel signs and tone marks are not word
# characters to Python, so the whole block is taken), or a word of any other script.
_RUNS = re.compile(rf"([{_HAN}]+)|([{_THAI}]+)|([^\W_{_HAN}{_THAI}]+)")
_THAI_WORD = re.compile(f"[{_THAI}]")
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
    """The search document of a service: its name tokens twice (a name match ranks above a
    match in the description), then every other token once."""
    name = list(_unique(token for text in _texts(service, "name") for token in tokens(text)))
    rest = _unique(
        token
        for field in ("summary", "keywords", "description")
        for text in _texts(service, field)
        for token in tokens(text)
    )
    return " ".join([*name, *name, *rest])


# Querying ----------------------------------------------------------------------------------


class DocumentVector(Func):
    """to_tsvector('simple', search_document), spelled exactly as the index expression of
    migration 0002 so that PostgreSQL uses the index."""

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


def _quoted(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


def tsquery_of(query_tokens: list[str]) -> str:
    """The text of a to_tsquery: every token (AND). Thai tokens match as prefixes, because the
    dictionary may keep a compound such as รถยนต์ส่วนบุคคล as one word in the document."""
    terms = []
    for token in _unique(query_tokens):
        is_thai = _THAI_WORD.match(token) is not None
        terms.append(_quoted(token) + (":*" if is_thai else ""))
    return " & ".join(terms)


def _is_postgres(queryset: QuerySet[Service]) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def search_services(queryset: QuerySet[Service], q: str) -> QuerySet[Service]:
    """The services of `queryset` that match the query, best first. A query without any word
    leaves the queryset as it is."""
    query_tokens = tokens(q, for_query=True)
    if not query_tokens:
        return queryset
    if not _is_postgres(queryset):
        for token in _unique(query_tokens):
            queryset = queryset.filter(search_document__icontains=token)
        return queryset
    vector = DocumentVector(F("search_document"))
    query = SearchQuery(tsquery_of(query_tokens), config="simple", search_type="raw")
    searched = queryset.alias(search_vector=vector)
    if any(_SPACELESS.match(token) for token in query_tokens):
        # Thai and Chinese are matched by their words only: trigrams of a few characters of
        # those scripts would match unrelated words that share one syllable or character.
        return (
            searched.filter(search_vector=query)
            .annotate(relevance=SearchRank(vector, query))
            .order_by("-relevance", "pk")
        )
    text = " ".join(query_tokens)
    return (
        # search_document %> text: the lookup is used directly because django.contrib.postgres
        # (which would register it on text fields) is not an installed app.
        searched.filter(Q(search_vector=query) | Q(TrigramWordSimilar(F("search_document"), text)))
        .annotate(
            relevance=SearchRank(vector, query)
            + TrigramWordSimilarity(text, "search_document")
            # A typo matches every service that has the word somewhere; those that have it in
            # their name come first.
            + Coalesce(
                TrigramWordSimilarity(text, "name_en"), Value(0.0), output_field=FloatField()
            )
            / 2
        )
        .order_by("-relevance", "pk")
    )
