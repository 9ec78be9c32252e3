"""Name normalisation for screening: one name becomes one or two token lists.

Transliteration comes from maintained libraries: `anyascii` (close to the English conventions
watchlists use for Cyrillic: Пригожин -> Prigozhin) and ICU through `normality` (better for
CJK, where anyascii runs syllables together); a name in another script gets both readings.
Company-form words are folded by `rigour` (Aktiengesellschaft -> ag, Limited -> ltd) and then
set aside, honorifics and generational suffixes are dropped, and name particles are joined to
the next token on both sides (`al-Assad`, `Al Assad` and `Alassad` all become `alassad`), so
that spacing conventions do not decide a match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import normality
import pycountry
from anyascii import anyascii
from rigour.names import remove_person_prefixes, replace_org_types_compare

PERSON = "person"
ORGANIZATION = "organization"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


HONORIFICS = _words(
    """
    mr mrs ms miss mx dr prof professor sir dame lord lady madam madame mme mlle monsieur herr
    frau senor senora don dona sheikh shaikh sheik shaykh sayed sayyid syed haji hajji alhaji
    alhaja hajiya mallam malam chief oba engr eng rev reverend pastor imam mullah ayatollah
    general gen colonel col major maj captain capt lieutenant lt sergeant sgt admiral adm
    brigadier brig commander cmdr marshal president minister hon honorable honourable
    excellency his her highness prince princess emir amir king queen
    """
)
SUFFIXES = _words(
    """
    jr jnr junior sr snr senior ii iii iv esq phd md
    """
)
# Joined to the token that follows, so `bin laden`, `binladen` and `bn ladn` align.
PARTICLES = _words(
    """
    al el ul ad ar as ash at az bin ibn ben bint bn abu abd abdul abdel abdal abdol abdu van
    von der den de da di du la le mac mc ould ter
    """
)
# Legal forms, as `rigour` folds them, and a few more; set aside when comparing companies.
ORG_FORMS = _words(
    """
    ltd llc llp lp plc inc incorporated corp corporation co company cos cie ag gmbh kg ohg ug
    sa sas sarl sàrl srl spa sl nv bv vof as asa ab oy oyj aps kft zrt rt sro spzoo sp zoo
    pjsc ojsc cjsc jsc pao oao zao ao ooo ip tov pat fze fzco fzc fz llc pte pvt private
    limited bhd sdn tbk pt cv ltda eireli me epp ee scs sca kk gk yk jv se coltd colimited
    coinc pmc chvk
    """
)
STOPWORDS = _words(
    """
    the and of for und et y e i le la les el del des du de van der
    """
)


def _country_words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z]+", normality.ascii_text(name).lower()) if len(w) > 3]


# Words many company names share: they weigh little, and a match on them alone is no match.
COMMON_ORG_WORDS = _words(
    """
    bank banque banco trading trade traders international intl group holding holdings
    industries industrial industry services service general national global investment
    investments import export imports exports shipping petroleum oil gas energy enterprise
    enterprises commercial commerce development company companies foundation organization
    organisation association partners management capital finance financial resources
    technologies technology tech systems solutions logistics transport construction
    manufacturing products marine airlines air lines line agency center centre charity
    exchange insurance of new east west north south middle africa african asia european
    america american china chinese russian arab arabian united corps airline airlines
    worldwide russia
    """
) | {word for country in pycountry.countries for word in _country_words(country.name)}

_SPLIT = re.compile(r"[^0-9a-z]+")
_APOSTROPHES = re.compile(r"[\u0027\u2018\u2019\u02bc\u02bb\u0060\u00b4\u02b9\u02be\u02bf]")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_VOWELS = frozenset("aeiouy")


@dataclass(frozen=True, slots=True)
class NameForm:
    """One reading of a name: its comparable tokens (company forms set aside)."""

    tokens: tuple[str, ...]


def _ascii_readings(name: str) -> list[str]:
    if name.isascii():
        return [name]
    readings = [_CAMEL.sub(" ", anyascii(name))]
    icu = normality.ascii_text(name)
    if icu and icu.lower() != readings[0].lower():
        readings.append(icu)
    return readings


_DOTTED = re.compile(r"\b(?:[a-z]\.){2,}")


def _tokens(text: str) -> list[str]:
    text = _APOSTROPHES.sub("", text.lower().replace("&", " and "))
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)  # S.A. -> sa
    return [token for token in _SPLIT.split(text) if token]


def _join_particles(tokens: list[str]) -> list[str]:
    joined: list[str] = []
    pending = ""
    for token in tokens:
        if token in PARTICLES:
            pending += token
            continue
        joined.append(f"{pending}_{token}" if pending else token)
        pending = ""
    if pending:
        joined.append(pending)
    return joined


def _person_tokens(text: str) -> list[str]:
    tokens = _tokens(remove_person_prefixes(" ".join(_tokens(text))))
    kept = [t for t in tokens if t not in HONORIFICS and t not in SUFFIXES]
    return _join_particles(kept or tokens)


def _organization_tokens(text: str) -> list[str]:
    folded = replace_org_types_compare(" ".join(_tokens(text)))
    tokens = _tokens(folded)
    core = [t for t in tokens if t not in ORG_FORMS and t not in STOPWORDS]
    return _join_particles(core or [t for t in tokens if t not in STOPWORDS] or tokens)


@lru_cache(maxsize=65_536)
def name_forms(name: str, kind: str) -> tuple[NameForm, ...]:
    """The readings of `name` as a person or an organization, deduplicated, in order."""
    split = _person_tokens if kind == PERSON else _organization_tokens
    forms: list[NameForm] = []
    for reading in _ascii_readings(name):
        tokens = tuple(split(reading))
        if tokens and all(form.tokens != tokens for form in forms):
            forms.append(NameForm(tokens))
    return tuple(forms)


# --- Token keys ------------------------------------------------------------------------------

_PHONETIC_RULES = (
    ("tch", "c"),
    ("sch", "s"),
    ("ph", "f"),
    ("kh", "h"),
    ("gh", "g"),
    ("zh", "z"),
    ("sh", "s"),
    ("ch", "c"),
    ("ck", "k"),
    ("dj", "j"),
    ("ts", "c"),
    ("tz", "c"),
    ("q", "k"),
    ("x", "ks"),
    ("w", "v"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("y", "i"),
)


@lru_cache(maxsize=262_144)
def phonetic(token: str) -> str:
    """A transliteration-tolerant spelling: kh/h, sh/s, y/i, w/v, ou/u, doubled letters..."""
    token = token.replace("_", "")
    if token.isdigit():
        return token
    for old, new in _PHONETIC_RULES:
        token = token.replace(old, new)
    collapsed = [c for i, c in enumerate(token) if i == 0 or c != token[i - 1]]
    result = "".join(collapsed)
    if len(result) > 3 and result.endswith("h"):
        result = result[:-1]
    return result


@lru_cache(maxsize=262_144)
def skeleton(token: str) -> str:
    """The consonants, doubles collapsed: how an abjad (Arabic, Hebrew) writes the name."""
    consonants = [c for c in phonetic(token) if c not in _VOWELS]
    return "".join(c for i, c in enumerate(consonants) if i == 0 or c != consonants[i - 1])


@lru_cache(maxsize=262_144)
def is_vowelless(token: str) -> bool:
    return len(token) > 1 and not any(c in _VOWELS for c in token)


def core(token: str) -> str:
    """A joined token without its particles (`bin_laden` -> `laden`); others unchanged."""
    return token.rpartition("_")[2]


_PATRONYMIC_SUFFIXES = ("ovich", "evich", "ovych", "evych", "ovna", "evna", "ivna", "ogly", "oglu")
_PATRONYMIC_PARTICLES = ("bin_", "ibn_", "bint_", "ben_", "ould_", "bn_")


def is_patronymic(token: str) -> bool:
    """`Vladimirovich`, `bin Muhammad`: a name that lists often add and customers leave out."""
    return token.endswith(_PATRONYMIC_SUFFIXES) or token.startswith(_PATRONYMIC_PARTICLES)


def spelled(token: str) -> str:
    """A joined token as one word (`bin_laden` -> `binladen`)."""
    return token.replace("_", "")


def deletions(key: str) -> tuple[str, ...]:
    """`key` and every spelling with one letter deleted: two words within one edit share one."""
    if len(key) < 5:
        return (key,)
    return (key, *{key[:i] + key[i + 1 :] for i in range(len(key))})
