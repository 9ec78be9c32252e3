"""The in-memory watchlist index and the name matcher.

Every name and alias of every entry is normalised once (`normalize.name_forms`) and indexed
by keys of its tokens: the token, its transliteration-tolerant spelling and that spelling with
one letter deleted (so a one-letter misspelling shares a key), and its consonant skeleton (a
name written in Arabic or Hebrew script comes without vowels). A query looks its tokens' keys
up, keeps the candidates that share enough tokens, and scores each one:

- tokens are aligned one to one, in any order, by their similarity (rapidfuzz's normalised
  Levenshtein over the spelling and its phonetic form; an initial counts for its word, weakly);
- each token weighs by its rarity in the lists (inverse document frequency), so a shared
  `Mohammed` or `Trading` counts for little and a shared rare surname for much;
- the score is the weighted coverage of the shorter name, with a share of the coverage of the
  longer one (for a person, an extra middle name or patronymic costs little; for a company,
  every distinctive word counts);
- a person must share at least two tokens (one may be an initial) unless both names are one
  word, and a company must share a word that is not a common one: a shared first name, surname
  or common word alone never matches.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Indel, Levenshtein

from customerbase.screening.normalize import (
    COMMON_ORG_WORDS,
    ORGANIZATION,
    PERSON,
    core,
    deletions,
    is_patronymic,
    is_vowelless,
    name_forms,
    phonetic,
    skeleton,
    spelled,
)

DEFAULT_THRESHOLD = 0.84
# Below this a token pair counts as not matching at all (no partial credit for 'ali'/'ari').
TOKEN_FLOOR = 0.75
INITIAL_SIMILARITY = 0.8
INITIAL_WEIGHT = 0.3
SKELETON_SIMILARITY = 0.85
JOINED_SIMILARITY = 0.9
PATRONYMIC_WEIGHT = 0.3
# A company's word whose postings are longer than this does not block candidates on its own.
RARE_POSTINGS = 300
LOOKUP_CACHE = 50_000
COMMON_WEIGHT = 0.15
# How much of the longer name's coverage enters the score, per kind.
LONGER_SHARE = {PERSON: 0.25, ORGANIZATION: 0.5}


@dataclass(frozen=True, slots=True)
class IndexedEntry:
    """One watchlist entry as the matcher needs it."""

    list_name: str
    entry_id: str
    kind: str  # person | organization | other
    name: str
    entry_hash: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    list_name: str
    entry_id: str
    name: str
    matched_name: str
    score: float
    entry_hash: str


@dataclass(slots=True)
class _Name:
    entry: int
    text: str
    kind: str
    tokens: tuple[str, ...]


def _similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        return INITIAL_SIMILARITY if a[0] == b[0] else 0.0
    if a.isdigit() or b.isdigit():
        return 0.0
    pa, pb = phonetic(a), phonetic(b)
    similarity = max(
        Levenshtein.normalized_similarity(a, b, score_cutoff=0.6),
        Levenshtein.normalized_similarity(pa, pb, score_cutoff=0.6),
        Indel.normalized_similarity(pa, pb, score_cutoff=0.6) - 0.05,
    )
    if similarity < 1.0:
        sa, sb = skeleton(a), skeleton(b)
        if is_vowelless(a) or is_vowelless(b):
            if len(sa) >= 2 and len(sb) >= 2:
                similarity = max(similarity, 0.95 * Indel.normalized_similarity(sa, sb))
        elif sa == sb and len(sa) >= 4:
            similarity = max(similarity, SKELETON_SIMILARITY)
    if min(len(a), len(b)) <= 3 and similarity < 1.0:
        similarity -= 0.1  # one letter of three is a different name, not a misspelling
    return similarity


@lru_cache(maxsize=1_000_000)
def token_similarity(a: str, b: str) -> float:
    """How alike two normalised tokens are, 0 to 1 (0 below `TOKEN_FLOOR`). A token joined
    from particles (`al_assad`) also compares by its last word, for a little less."""
    similarity = _similarity(spelled(a), spelled(b))
    if similarity < 1.0 and ("_" in a or "_" in b):
        similarity = max(similarity, JOINED_SIMILARITY * _similarity(core(a), core(b)))
    return similarity if similarity >= TOKEN_FLOOR else 0.0


def _token_keys(token: str) -> Iterable[str]:
    if len(token) == 1:
        return ()
    keys = [f"t:{spelled(token)}"]
    keys.extend(f"d:{key}" for key in deletions(phonetic(token)))
    if "_" in token:
        keys.extend(f"d:{key}" for key in deletions(phonetic(core(token))))
    return keys


def _query_keys(token: str) -> list[str]:
    keys = list(_token_keys(token))
    shape = skeleton(token)
    if len(shape) >= 3 and (is_vowelless(spelled(token)) or len(shape) >= 4):
        keys.append(f"s:{shape}")
    return keys


def _join_to_match(tokens: Sequence[str], targets: Sequence[str]) -> list[str] | None:
    """`tokens` with each adjacent pair that spells one of `targets` joined, if any."""
    wanted = [t for t in targets if len(spelled(t)) > 3]
    result: list[str] = []
    joined_any = False
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and any(
            token_similarity(spelled(tokens[i] + tokens[i + 1]), t) > 0.0 for t in wanted
        ):
            result.append(tokens[i] + tokens[i + 1])
            joined_any = True
            i += 2
        else:
            result.append(tokens[i])
            i += 1
    return result if joined_any else None


@dataclass
class WatchlistIndex:
    """Names and aliases of every entry, with an inverted index over their token keys."""

    entries: list[IndexedEntry] = field(default_factory=list)
    names: list[_Name] = field(default_factory=list)
    postings: dict[str, Sequence[int]] = field(default_factory=dict)
    document_frequency: Counter[str] = field(default_factory=Counter)
    version: str = ""

    @classmethod
    def build(cls, entries: Iterable[IndexedEntry], version: str = "") -> WatchlistIndex:
        index = cls(version=version)
        for entry in entries:
            index._add(entry)
        index._finish()
        return index

    def _add(self, entry: IndexedEntry) -> None:
        position = len(self.entries)
        self.entries.append(entry)
        kinds = (
            (PERSON, ORGANIZATION) if entry.kind not in (PERSON, ORGANIZATION) else (entry.kind,)
        )
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for text in (entry.name, *entry.aliases):
            for kind in kinds:
                for form in name_forms(text, kind):
                    if (kind, form.tokens) in seen:
                        continue
                    seen.add((kind, form.tokens))
                    number = len(self.names)
                    self.names.append(_Name(position, text, kind, form.tokens))
                    keys: set[str] = set()
                    for token in form.tokens:
                        keys.update(_token_keys(token))
                        if len(skeleton(token)) >= 3:
                            keys.add(f"s:{skeleton(token)}")
                    for first, second in itertools.pairwise(form.tokens):
                        keys.add(f"j:{phonetic(first + second)}")
                    for key in keys:
                        self.postings.setdefault(key, []).append(number)  # type: ignore[attr-defined]
                    self.document_frequency.update(set(form.tokens))

    def _finish(self) -> None:
        # Arrays of ints are invisible to the garbage collector: with lists, every full
        # collection walked half a million of them (milliseconds, in the middle of a lookup).
        self.postings = {key: array("I", numbers) for key, numbers in self.postings.items()}
        total = max(len(self.names), 1)
        self._max_idf = math.log(1 + total)
        self._weights: dict[str, float] = {}
        self._lookups: dict[str, set[int]] = {}
        self._total = total

    def weight(self, token: str) -> float:
        cached = self._weights.get(token)
        if cached is not None:
            return cached
        if len(token) == 1:
            value = INITIAL_WEIGHT
        else:
            frequency = self.document_frequency.get(token, 0)
            idf = math.log(1 + self._total / (1 + frequency))
            # Never below a third of the rarest token's weight: the lists are not a census.
            value = max(idf / self._max_idf, 0.34)
            if token in COMMON_ORG_WORDS:
                value *= COMMON_WEIGHT
        self._weights[token] = value
        return value

    def _unmatched_weight(self, token: str) -> float:
        weight = self.weight(token)
        return weight * PATRONYMIC_WEIGHT if is_patronymic(token) else weight

    def __len__(self) -> int:
        return len(self.entries)

    # --- Querying ------------------------------------------------------------------------

    def _candidates(self, tokens: Sequence[str], kind: str) -> tuple[set[int], set[int]]:
        """The names that share enough of `tokens` to possibly match: two tokens for a person
        (one when the query has a single indexable token), a distinctive word for a company
        (a word written as two, `Trade Winds`, is looked up joined and counts for both)."""
        indexable = [t for t in dict.fromkeys(tokens) if len(t) > 1]
        joined: set[int] = set()
        for first, second in itertools.pairwise(tokens):
            joined |= self._lookup(spelled(first + second))
        for token in indexable:
            joined.update(self.postings.get(f"j:{phonetic(token)}", ()))
        return joined | self._shared(indexable, kind), joined

    def _shared(self, indexable: list[str], kind: str) -> set[int]:
        if not indexable:
            return set()
        found = sorted((self._lookup(t) for t in indexable), key=len)
        if kind == ORGANIZATION:
            distinctive = [t for t in indexable if t not in COMMON_ORG_WORDS]
            if distinctive:
                found = sorted((self._lookup(t) for t in distinctive), key=len)
            # A company matches on its rarest words: a word that many listed names share
            # (a misspelt `Holdng`) cannot carry a match alone, so it does not block.
            rare = [s for s in found if len(s) <= RARE_POSTINGS] or found[:1]
            return set().union(*rare)
        if len(found) == 1:
            return found[0]
        # A person shares two tokens: at least one of them is not the most common one.
        return {
            number
            for number in set().union(*found[:-1])
            if sum(number in postings for postings in found) >= 2
        }

    def _lookup(self, token: str) -> set[int]:
        cached = self._lookups.get(token)
        if cached is not None:
            return cached
        found: set[int] = set()
        for key in _query_keys(token):
            found.update(self.postings.get(key, ()))
        if len(self._lookups) >= LOOKUP_CACHE:
            self._lookups.clear()
        self._lookups[token] = found
        return found

    def score(
        self, query: Sequence[str], candidate: Sequence[str], kind: str, *, joins: bool = True
    ) -> float:
        """The match score of two normalised token lists of the same kind; a word written
        as two (`Trade Winds`, `Tradewinds`) is tried joined, on either side."""
        value = self._score(query, candidate, kind)
        if joins and value < 1.0 and len(query) != len(candidate):
            longer, shorter = (
                (query, candidate) if len(query) > len(candidate) else (candidate, query)
            )
            joined = _join_to_match(longer, shorter)
            if joined is not None:
                if longer is query:
                    value = max(value, self._score(joined, candidate, kind))
                else:
                    value = max(value, self._score(query, joined, kind))
        return value

    def _score(self, query: Sequence[str], candidate: Sequence[str], kind: str) -> float:
        pairs = sorted(
            (
                (similarity, i, j)
                for i, a in enumerate(query)
                for j, b in enumerate(candidate)
                if (similarity := token_similarity(a, b)) > 0.0
            ),
            reverse=True,
        )
        used_query: dict[int, tuple[int, float]] = {}
        used_candidate: dict[int, float] = {}
        for similarity, i, j in pairs:
            if i not in used_query and j not in used_candidate:
                used_query[i] = (j, similarity)
                used_candidate[j] = similarity
        if not used_query:
            return 0.0
        full = [query[i] for i in used_query if len(query[i]) > 1]
        if kind == PERSON:
            one_word = len(query) == 1 and len(candidate) == 1
            if not full or (len(used_query) < 2 and not one_word):
                return 0.0
        elif not full or (
            all(t in COMMON_ORG_WORDS for t in full)
            and (len(used_query) < len(query) or len(used_candidate) < len(candidate))
        ):
            return 0.0  # common words alone, beside a distinctive word that differs
        # A matched pair weighs as the rarer of its two tokens, on both sides.
        query_total = query_hit = 0.0
        pair_weights: dict[int, float] = {}
        for i, token in enumerate(query):
            if i in used_query:
                j, similarity = used_query[i]
                weight = pair_weights[j] = min(self.weight(token), self.weight(candidate[j]))
                query_hit += weight * similarity
            else:
                weight = self._unmatched_weight(token)
            query_total += weight
        candidate_total = candidate_hit = 0.0
        for j, token in enumerate(candidate):
            weight = pair_weights.get(j) or self._unmatched_weight(token)
            candidate_total += weight
            candidate_hit += weight * used_candidate.get(j, 0.0)
        coverage_query = query_hit / query_total
        coverage_candidate = candidate_hit / candidate_total
        if len(query) == len(candidate):
            shorter = longer = min(coverage_query, coverage_candidate)
        elif len(query) < len(candidate):
            shorter, longer = coverage_query, coverage_candidate
        else:
            shorter, longer = coverage_candidate, coverage_query
        share = LONGER_SHARE[kind]
        return (1 - share) * shorter + share * longer

    def search(
        self,
        name: str,
        kind: str,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 10,
    ) -> list[Match]:
        """The entries whose name or an alias matches `name` (a person's or a company's) with
        at least `threshold`, best first, one per entry."""
        best: dict[int, tuple[float, str]] = {}
        for form in name_forms(name, kind):
            candidates, joined = self._candidates(form.tokens, kind)
            for number in candidates:
                candidate = self.names[number]
                if candidate.kind != kind:
                    continue
                value = self.score(form.tokens, candidate.tokens, kind, joins=number in joined)
                if value >= threshold and value > best.get(candidate.entry, (0.0, ""))[0]:
                    best[candidate.entry] = (value, candidate.text)
        ranked = sorted(best.items(), key=lambda item: -item[1][0])[:limit]
        return [
            Match(
                list_name=(entry := self.entries[position]).list_name,
                entry_id=entry.entry_id,
                name=entry.name,
                matched_name=text,
                score=round(min(value, 1.0), 4),
                entry_hash=entry.entry_hash,
            )
            for position, (value, text) in ranked
        ]
