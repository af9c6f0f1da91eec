"""Names and texts for seeded learners; about 10 % carry characters that break naive CSV/SQL."""

from __future__ import annotations

import random

FIRST_NAMES = (
    "Ada",
    "Amal",
    "Bruno",
    "Chen",
    "Dana",
    "Emeka",
    "Farah",
    "Goran",
    "Hana",
    "Ines",
    "Jonas",
    "Kiri",
    "Lena",
    "Mateo",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tomás",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoé",
)
LAST_NAMES = (
    "Abebe",
    "Brown",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fujita",
    "García",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Müller",
    "Nguyen",
    "Okafor",
    "Petrov",
    "Quispe",
    "Rossi",
    "Sato",
    "Traoré",
    "Ueda",
    "Varga",
    "Wójcik",
    "Xu",
    "Yilmaz",
    "Zhang",
)
# Each one breaks at least one naive writer: CSV quoting, escapes, line splitting, encodings.
TRICKY_NAMES = (
    'Robert "Bobby" Tables',
    "O'Brien, Siobhán",
    "Line\nBreak",
    "Tab\tSeparated",
    "Back\\slash \\N",
    "Emoji 🎓📚 Learner",
    "مريم الحسيني",
    "יעל כהן",
    "Ünïcödé Ñame, Jr.",
    "Semi;colon | pipe",
    '""quoted"", twice',
    "Trailing backslash \\",
    "CR\r\nLF",
    "Ελένη Παπαδοπούλου",
    "李小龍 (Lee)",
)
BIOS = (
    "Lifelong learner.",
    "Engineer by day, musician by night.",
    "Teacher interested in open education.",
    "Student of data science.",
    "",
)
TRICKY_BIOS = (
    'I said "hello", then left.',
    "Multi-line bio:\nline two\nline three",
    "Tabs\tand\tmore\ttabs",
    "Path C:\\Users\\me\\ and \\t not a tab",
    "Learning 🚀 with 🧠 and ☕",
    "أحب التعلم عبر الإنترنت، كل يوم.",
    'Mixed עברית and English, with commas, and "quotes"',
    "NULL",
    "\\N",
    "'); DROP TABLE user_profile; --",
)
COUNTRIES = ("US", "IN", "BR", "NG", "FR", "DE", "CN", "MX", "EG", "IL", "JP", "ES", "", None)
GENDERS = ("m", "f", "o", "", None)
EDUCATION = ("p", "m", "b", "a", "hs", "jhs", "el", "none", "other", "", None)
LANGUAGES = ("en", "es", "fr", "ar", "he", "zh", "pt", "")
CITIES = ("Lagos", "São Paulo", "Paris", "Cairo", "Tel Aviv", "Mumbai", "Austin", "", None)
TRICKY_SHARE = 0.10


def learner_name(rng: random.Random) -> str:
    """A plain ``First Last`` name, or a tricky one with probability ``TRICKY_SHARE``."""
    if rng.random() < TRICKY_SHARE:
        return rng.choice(TRICKY_NAMES)
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def learner_bio(rng: random.Random) -> str | None:
    """A short bio, a tricky one (~10 %), or None (~5 %)."""
    roll = rng.random()
    if roll < TRICKY_SHARE:
        return rng.choice(TRICKY_BIOS)
    if roll < TRICKY_SHARE + 0.05:
        return None
    return rng.choice(BIOS)
