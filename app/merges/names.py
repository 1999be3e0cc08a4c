"""Name keys for duplicate detection: folded, nickname-canonical and phonetic forms.

Bob and Robert are one first name here, and Jonhson sounds like Johnson, so blocking keys and
scores built on these forms find the duplicates people make at a till.
"""

from __future__ import annotations

from functools import lru_cache

from app.core.identifiers import name_key

# Groups of first names one person goes by; the first of each group is its canonical form.
_NICKNAME_GROUPS = (
    "robert bob bobby rob robbie bert",
    "william bill billy will willy liam",
    "richard rick ricky dick rich richie",
    "james jim jimmy jamie",
    "john jack johnny jon",
    "joseph joe joey",
    "michael mike mikey mick",
    "thomas tom tommy",
    "charles charlie chuck chas",
    "christopher chris kit topher",
    "daniel dan danny",
    "david dave davey",
    "edward ed eddie ted teddy ned",
    "anthony tony",
    "andrew andy drew",
    "matthew matt matty",
    "nicholas nick nicky",
    "steven stephen steve stevie",
    "benjamin ben benny benji",
    "alexander alex alec sasha",
    "samuel sam sammy",
    "jonathan jon jonny",
    "patrick pat paddy",
    "timothy tim timmy",
    "gregory greg",
    "peter pete",
    "henry harry hank",
    "lawrence larry",
    "raymond ray",
    "ronald ron ronnie",
    "donald don donnie",
    "kenneth ken kenny",
    "gerald gerry jerry",
    "jose pepe",
    "francisco paco pancho",
    "elizabeth liz lizzie beth betty eliza libby",
    "margaret maggie meg peggy marge",
    "katherine catherine kate katie kathy cathy kat",
    "jennifer jen jenny",
    "patricia patty trish tricia",
    "susan sue susie suzy",
    "deborah debbie deb",
    "barbara barb babs",
    "jessica jess jessie",
    "rebecca becky becca",
    "victoria vicky tori",
    "alexandra alexa lexi sandra",
    "christine christina chrissy tina",
    "kimberly kim",
    "samantha sammie",
    "abigail abby",
    "dorothy dot dottie",
    "theresa teresa terri tess",
    "pamela pam",
    "cynthia cindy",
    "sarah sara sally",
    "ann anne anna annie",
    "mary molly polly mae",
    "judith judy",
    "nancy nan",
    "frances fran frannie",
    "josephine jo josie",
    "eleanor ellie nora",
    "zoe zoey",
)
_CANONICAL: dict[str, str] = {}
for _group in _NICKNAME_GROUPS:
    _names = _group.split()
    for _name in _names:
        _CANONICAL.setdefault(_name, _names[0])

_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


def fold(raw: str | None) -> str:
    """Case- and accent-free letters and single spaces: `José-Luis` -> `jose luis`."""
    if not raw:
        return ""
    key = name_key(raw)
    return " ".join("".join(ch if ch.isalpha() else " " for ch in key).split())


@lru_cache(maxsize=65536)
def canonical_first_name(folded: str) -> str:
    """Robert for Bob: the first word's canonical form, the rest kept."""
    head, _, rest = folded.partition(" ")
    head = _CANONICAL.get(head, head)
    return f"{head} {rest}" if rest else head


@lru_cache(maxsize=65536)
def soundex(folded: str) -> str:
    """American Soundex of the letters of a folded name (empty for no letters).

    Typos that keep the sound (Jonhson, Smyth, Thompson/Thomson) keep the code, which is what a
    blocking key needs; typos in the first letter do not, so other keys must cover those.
    """
    letters = [ch for ch in folded if "a" <= ch <= "z"]
    if not letters:
        return ""
    code = [letters[0].upper()]
    previous = _SOUNDEX_CODES.get(letters[0], "")
    for ch in letters[1:]:
        digit = _SOUNDEX_CODES.get(ch, "")
        if digit and digit != previous:
            code.append(digit)
            if len(code) == 4:
                break
        # h and w do not separate letters of one code; vowels do.
        if ch not in "hw":
            previous = digit
    return "".join(code).ljust(4, "0")
