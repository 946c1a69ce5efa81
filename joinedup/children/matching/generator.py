"""Seeded generator of multi-agency children's records with ground truth.

Each child belongs to a household (siblings share a family name, address and postcode;
twins also share a date of birth). Each agency holds its own records of the child, typed
with that agency's habits and error profile:

- school: UPN almost always present, NHS number often missing, dates ISO-formatted;
- health: NHS number almost always present, formal names, dates day-first;
- social care: more missing fields, more nicknames, older addresses;
- voluntary sector: sparse and messy (nicknames, missing dates, US-order dates).

The output has the source columns the matcher may use plus ground-truth columns that the
matcher must never read (``true_child_id``, ``true_household_id``, ``true_date_of_birth``).
Everything is vectorised with numpy; per-row Python only runs over the few records that
receive a typo, so a million records take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from joinedup.children.identifiers import UPN_CHECK_ALPHABET


def _words(text: str, separator: str | None = None) -> list[str]:
    """Long word lists stay readable as one wrapped string."""
    return text.split(separator)


BOYS = _words(
    "OLIVER GEORGE NOAH ARTHUR MUHAMMAD LEO HARRY OSCAR ARCHIE HENRY THEODORE FREDDIE JACK "
    "CHARLIE THEO ALFIE JACOB THOMAS FINLEY ARLO WILLIAM LUCAS ROMAN TOMMY ISAAC TEDDY "
    "ALEXANDER LUCA EDWARD JAMES JOSHUA ALBIE ELIJAH MAX MOHAMMED REUBEN MASON SONNY HUNTER "
    "LOUIE JAXON ELLIS BENJAMIN SAMUEL DANIEL JOSEPH MATTHEW NATHAN ETHAN DYLAN LOGAN RILEY "
    "ADAM ZACHARY TOBY HUGO SEBASTIAN RORY OLLIE KAI CALEB AARON JAYDEN JUDE FELIX ELLIOT "
    "LEON RYAN CONNOR KIAN AYAAN IBRAHIM YUSUF OMAR ALI HAMZA AMIR RAYAN ZAYN AIDEN JENSON "
    "BOBBY FRANKIE RONNIE STANLEY ALBERT ROBERT MICHAEL DAVID NICHOLAS FREDERICK CHARLES "
    "JOHN TOBIAS MAXIMILIAN ARCHIBALD LEWIS CAMERON HARVEY BLAKE JASPER"
)
GIRLS = _words(
    "OLIVIA AMELIA ISLA AVA IVY FREYA LILY FLORENCE MIA WILLOW ROSIE SOPHIA ISABELLA GRACE "
    "DAISY SIENNA POPPY ELSIE EMILY ELLA EVELYN PHOEBE SOPHIE EVIE HARPER MATILDA AURORA "
    "MILLIE ELIZABETH ISABELLE CHARLOTTE ALICE RUBY ARIA EMMA HANNAH LUCY CHLOE JESSICA "
    "ABIGAIL KATHERINE REBECCA MARGARET ELEANOR HARRIET ROSE MARY SARAH LAURA MAYA ZARA "
    "AISHA FATIMA MARYAM HAFSA AMINA NIAMH ERIN ORLA ELLIE LEXI ALEXA SCARLETT LOLA MADISON "
    "HOLLY SUMMER BONNIE MOLLY GEORGIA ESME THEA NANCY EDITH VIOLET PENELOPE HALLIE MAISIE "
    "LAYLA EVA ANNA CLARA HOPE BEATRICE MABEL IRIS LYRA NOVA RAYA JASMINE AMBER KEIRA "
    "TILLY FAITH SKYE MAYSA INAYA ALINA"
)
SURNAMES = _words(
    "SMITH JONES TAYLOR BROWN WILLIAMS WILSON JOHNSON DAVIES PATEL ROBINSON WRIGHT THOMPSON "
    "EVANS WALKER WHITE ROBERTS GREEN HALL THOMAS CLARKE JACKSON WOOD HARRIS EDWARDS TURNER "
    "MARTIN COOPER HILL WARD HUGHES MOORE CLARK KING HARRISON LEWIS BAKER LEE ALLEN MORRIS "
    "KHAN SCOTT WATSON DAVIS PARKER JAMES BENNETT YOUNG PHILLIPS RICHARDSON MITCHELL BAILEY "
    "CARTER COOK SINGH SHAW BELL COLLINS MORGAN KELLY BEGUM MILLER COX MARSHALL SIMPSON "
    "ANDERSON ELLIS ADAMS WILKINSON WARD FOSTER MURPHY CHAPMAN MASON GRAY RICHARDS WEBB "
    "GRIFFITHS HUNT PALMER CAMPBELL HOLMES MILLS ROGERS BARNES KNIGHT MATTHEWS BARKER POWELL "
    "STEVENS KAUR FISHER BUTLER DIXON RUSSELL HARVEY PEARSON GRAHAM AHMED ALI HUSSAIN "
    "OKAFOR ADEYEMI MENSAH NOWAK KOWALSKI SANTOS OLIVEIRA MURRAY O'BRIEN MCDONALD MACLEOD "
    "STEWART REID FLETCHER LAWRENCE CHAMBERS GIBSON HOWARD BURTON WELLS PRICE LLOYD OWEN "
    "JENKINS MORRISON HUSSEIN CHOWDHURY MIAH RAHMAN ISLAM UDDIN NGUYEN CHEN WANG ZHANG"
)
# Synthetic English-looking surnames widen the name space the way a real local authority's
# population does (thousands of distinct surnames with a long tail).
_SURNAME_HEADS = _words(
    "ASH BLACK BRAD BRIGHT BROOK CALDER CHURCH CLIFF COLD CROSS DALE DEN DRAY EAST FAIR "
    "FERN GARS GREAVE HAD HART HEATH HOLD HUNT KEN KING LANG LITTLE MARSH MID MOSS NEW "
    "NORTH OAK PEN RADE RIDGE ROSS SAND SHEL STAN STOCK THORN WAL WEST WHIT WIN"
)
_SURNAME_TAILS = _words(
    "BY CROFT DALE DON FIELD FORD GATE HAM HURST LEY LOW MAN MORE SHAW STEAD THWAITE "
    "TON WELL WICK WOOD WORTH BURN COMBE"
)
SYNTHETIC_SURNAMES = [h + t for h in _SURNAME_HEADS for t in _SURNAME_TAILS]

# Formal name → nicknames the agencies type. A few ("EDIE", "OSSIE", "JOJO") are missing
# from the matcher's nickname table (joinedup/children/data/nicknames.csv) on purpose: no
# nickname table is complete, and the benchmark should feel that.
GENERATOR_NICKNAMES: dict[str, tuple[str, ...]] = {
    "ALFRED": ("ALFIE",),
    "ALEXANDER": ("ALEX", "SANDY"),
    "REBECCA": ("BECKY", "BECCA"),
    "BENJAMIN": ("BEN", "BENNY"),
    "ELIZABETH": ("BETH", "LIZZIE", "LIBBY"),
    "WILLIAM": ("WILL", "BILLY"),
    "CHARLES": ("CHARLIE",),
    "DANIEL": ("DAN", "DANNY"),
    "EDWARD": ("ED", "EDDIE", "NED"),
    "ELEANOR": ("ELLIE",),
    "FREDERICK": ("FREDDIE",),
    "HENRY": ("HARRY",),
    "ISABELLA": ("IZZY", "BELLA"),
    "JAMES": ("JAMIE", "JIM"),
    "JOSEPH": ("JOE", "JOJO"),
    "EDITH": ("EDIE",),
    "OSCAR": ("OSSIE", "OZZY"),
    "JOSHUA": ("JOSH",),
    "KATHERINE": ("KATE", "KATIE", "KIT"),
    "MATTHEW": ("MATT",),
    "MARGARET": ("MAGGIE", "MEG"),
    "MARY": ("MOLLY", "POLLY"),
    "MICHAEL": ("MIKE",),
    "NICHOLAS": ("NICK",),
    "OLIVER": ("OLLIE", "OLLY"),
    "OLIVIA": ("LIV", "LIVVY"),
    "ROBERT": ("ROB", "ROBBIE"),
    "SAMUEL": ("SAM",),
    "THOMAS": ("TOM", "TOMMY"),
    "ZACHARY": ("ZAK", "ZACH"),
    "AMELIA": ("MILLIE", "AMY"),
    "JESSICA": ("JESS",),
    "ABIGAIL": ("ABBIE", "ABBY"),
    "THEODORE": ("THEO", "TEDDY"),
    "SEBASTIAN": ("SEB",),
    "ARCHIBALD": ("ARCHIE",),
    "HARRIET": ("HATTIE",),
    "FLORENCE": ("FLO",),
    "CHARLOTTE": ("LOTTIE",),
    "MUHAMMAD": ("MOHAMMED", "MOHAMMAD"),
    "TOBIAS": ("TOBY",),
    "EVELYN": ("EVIE",),
}

STREETS = _words(
    "HIGH STREET|CHURCH ROAD|STATION ROAD|MAIN STREET|PARK ROAD|VICTORIA ROAD|GREEN LANE|"
    "MANOR ROAD|CHURCH STREET|PARK AVENUE|QUEENS ROAD|NEW ROAD|GRANGE ROAD|KINGS ROAD|"
    "ALEXANDRA ROAD|NORTH STREET|MILL LANE|SCHOOL LANE|YORK ROAD|ALBERT ROAD|WEST STREET|"
    "CHESTER ROAD|SPRINGFIELD ROAD|OAK AVENUE|THE CRESCENT|BIRCH CLOSE|ELM GROVE|"
    "MEADOW WAY|ORCHARD CLOSE|WILLOW DRIVE",
    "|",
)
AREAS = ("LS", "BD", "HX", "WF", "HD")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

AGENCIES = ("school", "health", "social_care", "voluntary")


@dataclass(frozen=True)
class AgencyProfile:
    """How often an agency holds each field, and how often it gets it wrong."""

    share_of_children: float
    nhs_present: float
    upn_present: float
    nickname: float
    given_typo: float
    family_typo: float
    dob_missing: float
    dob_swap: float
    dob_typo: float
    sex_missing: float
    postcode_missing: float
    postcode_typo: float
    stale_address: float  # still holds the address before a house move
    stale_surname: float  # still holds the surname before a change
    id_mistype: float
    other_names_kept: float
    dob_format: str  # "iso", "dmy" or "messy"


PROFILES: dict[str, AgencyProfile] = {
    "school": AgencyProfile(0.90, 0.25, 0.96, 0.08, 0.02, 0.02, 0.0, 0.004, 0.004, 0.01,
                            0.02, 0.01, 0.10, 0.15, 0.01, 0.7, "iso"),
    "health": AgencyProfile(0.85, 0.96, 0.03, 0.03, 0.015, 0.015, 0.0, 0.008, 0.004, 0.0,
                            0.02, 0.01, 0.15, 0.25, 0.01, 0.9, "dmy"),
    "social_care": AgencyProfile(0.22, 0.60, 0.45, 0.15, 0.03, 0.03, 0.05, 0.015, 0.01,
                                 0.08, 0.08, 0.02, 0.25, 0.30, 0.02, 0.5, "dmy"),
    "voluntary": AgencyProfile(0.18, 0.08, 0.05, 0.35, 0.06, 0.05, 0.12, 0.05, 0.02, 0.30,
                               0.20, 0.04, 0.30, 0.40, 0.03, 0.2, "messy"),
}  # fmt: skip

EARLIEST_DOB = np.datetime64("2008-01-01")
LATEST_DOB = np.datetime64("2025-12-31")


def _zipf_weights(n: int, exponent: float = 0.9) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


def _nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid NHS numbers (not in the 999 test range)."""
    found: np.ndarray = np.empty(0, dtype=np.int64)
    while found.size < n:
        base = rng.integers(400_000_000, 998_999_999, size=int((n - found.size) * 1.25) + 16)
        digits = (base[:, None] // 10 ** np.arange(8, -1, -1)) % 10
        check = 11 - (digits @ np.arange(10, 1, -1)) % 11
        check[check == 11] = 0
        keep = check != 10
        found = np.unique(np.concatenate([found, base[keep] * 10 + check[keep]]))
    return rng.permutation(found)[:n]


def _upns(rng: np.random.Generator, birth_years: np.ndarray) -> np.ndarray:
    """Distinct valid permanent UPNs: check letter, LA code, school, year, serial."""
    n = birth_years.size
    la = rng.choice(np.array([380, 381, 382, 383, 384]), size=n)
    school = rng.integers(2000, 2400, size=n)
    year = (birth_years + 4) % 100
    # Serial numbers are drawn until every child's 12-digit body is unique.
    serial = rng.integers(0, 1000, size=n)
    body = la * 10**9 + school * 10**5 + year * 10**3 + serial
    _, first = np.unique(body, return_index=True)
    duplicate = np.ones(n, dtype=bool)
    duplicate[first] = False
    while duplicate.any():
        serial[duplicate] = rng.integers(0, 1000, size=int(duplicate.sum()))
        school[duplicate] = rng.integers(2000, 2400, size=int(duplicate.sum()))
        body = la * 10**9 + school * 10**5 + year * 10**3 + serial
        _, first = np.unique(body, return_index=True)
        duplicate = np.ones(n, dtype=bool)
        duplicate[first] = False
    digits = (body[:, None] // 10 ** np.arange(11, -1, -1)) % 10
    check = (digits @ np.arange(2, 14)) % 23
    letters = np.array(list(UPN_CHECK_ALPHABET))[check]
    return np.char.add(letters, np.char.zfill(body.astype(str), 12))


_KEYBOARD_NEIGHBOURS = {
    "A": "SQ", "B": "VN", "C": "XV", "D": "SF", "E": "WR", "F": "DG", "G": "FH", "H": "GJ",
    "I": "UO", "J": "HK", "K": "JL", "L": "K", "M": "N", "N": "BM", "O": "IP", "P": "O",
    "Q": "W", "R": "ET", "S": "AD", "T": "RY", "U": "YI", "V": "CB", "W": "QE", "X": "ZC",
    "Y": "TU", "Z": "X",
}  # fmt: skip


def _typo(word: str, roll: float, position: float) -> str:
    """One keyboard-style error: substitution, deletion, transposition or doubling."""
    if len(word) < 3:
        return word
    i = 1 + int(position * (len(word) - 2))  # rarely the first letter, as in real data
    if roll < 0.35:
        options = _KEYBOARD_NEIGHBOURS.get(word[i], "E")
        return word[:i] + options[int(position * 97) % len(options)] + word[i + 1 :]
    if roll < 0.6:
        return word[:i] + word[i + 1 :]
    if roll < 0.85 and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i] + word[i:]


def _apply_typos(values: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
    idx = np.flatnonzero(mask)
    rolls = rng.random(idx.size)
    positions = rng.random(idx.size)
    values[idx] = [
        _typo(str(values[i]), r, p) for i, r, p in zip(idx, rolls, positions, strict=True)
    ]


def _mistype_digits(values: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
    """Change one character of an identifier (check digits catch almost all of these)."""
    idx = np.flatnonzero(mask & (values != ""))
    pos = rng.integers(1, 10, size=idx.size)
    new = rng.integers(0, 10, size=idx.size)
    values[idx] = [
        v[:p] + str(d) + v[p + 1 :] for v, p, d in zip(values[idx].tolist(), pos, new, strict=True)
    ]


def generate(n_records: int, seed: int = 0) -> pd.DataFrame:
    """Generate about ``n_records`` source records (exactly ``n_records`` rows).

    Same ``seed`` → identical DataFrame.
    """
    rng = np.random.default_rng(seed)
    # About 2.15 records per child across the four agencies (see PROFILES); a few more
    # children than needed, then a random sample of exactly n_records records.
    n_children = int(n_records / 2.05) + 10

    # --- households -----------------------------------------------------------------
    sizes = rng.choice([1, 2, 3, 4, 5], p=[0.40, 0.36, 0.16, 0.06, 0.02], size=n_children)
    cumulative = np.cumsum(sizes)
    n_households = int(np.searchsorted(cumulative, n_children)) + 1
    sizes = sizes[:n_households]
    sizes[-1] -= cumulative[n_households - 1] - n_children
    household = np.repeat(np.arange(n_households), sizes)
    first_of_household = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    position = np.arange(n_children) - first_of_household[household]

    surname_pool = np.array(SURNAMES + SYNTHETIC_SURNAMES, dtype=object)
    surname_weights = np.concatenate(
        [
            _zipf_weights(len(SURNAMES), 0.5) * 0.5,
            np.full(len(SYNTHETIC_SURNAMES), 0.5 / len(SYNTHETIC_SURNAMES)),
        ]
    )
    hh_surname = rng.choice(surname_pool, p=surname_weights, size=n_households)
    double = rng.random(n_households) < 0.06
    hh_surname[double] = (
        hh_surname[double]
        + "-"
        + rng.choice(surname_pool, p=surname_weights, size=int(double.sum()))
    )

    # Roughly 14 households share a postcode unit, as in a real residential unit.
    n_postcodes = max(n_households // 14, 20)
    area = rng.choice(np.array(AREAS), size=n_postcodes)
    district = rng.integers(1, 30, size=n_postcodes).astype(str)
    sector = rng.integers(0, 10, size=n_postcodes).astype(str)
    letters = np.array(list(INWARD_LETTERS))
    unit = rng.choice(letters, size=n_postcodes).astype(object) + rng.choice(
        letters, size=n_postcodes
    )
    postcode_pool = np.char.add(
        np.char.add(np.char.add(area, district), " "), np.char.add(sector, unit.astype(str))
    )
    street_of_postcode = rng.integers(0, len(STREETS), size=n_postcodes)

    def address(count: int) -> tuple[np.ndarray, np.ndarray]:
        pc = rng.integers(0, n_postcodes, size=count)
        number = rng.integers(1, 180, size=count).astype(str)
        street = np.array(STREETS)[street_of_postcode[pc]]
        return postcode_pool[pc], np.char.add(np.char.add(number, " "), street)

    hh_postcode, hh_address = address(n_households)
    moved = rng.random(n_households) < 0.18
    hh_old_postcode, hh_old_address = address(n_households)

    # --- children -------------------------------------------------------------------
    twins = (sizes >= 2) & (rng.random(n_households) < 0.06)
    gaps = rng.integers(330, 2000, size=n_children)
    gaps[position == 0] = 0
    gaps[(position == 1) & twins[household]] = 0  # second child of a twin pair
    offset = np.cumsum(gaps)
    offset -= offset[first_of_household][household]
    span = (LATEST_DOB - EARLIEST_DOB).astype(int)
    hh_span = np.maximum.reduceat(offset, first_of_household)
    start = (rng.random(n_households) * np.maximum(span - hh_span, 1)).astype(int)
    dob = EARLIEST_DOB + np.minimum(start[household] + offset, span).astype("timedelta64[D]")
    is_twin = twins[household] & (position <= 1)

    sex = np.where(rng.random(n_children) < 0.5, "F", "M")
    boys = np.array(BOYS, dtype=object)
    girls = np.array(GIRLS, dtype=object)
    # A gentle skew: the most popular name is about 3% of children, as in ONS baby names.
    boy_w = _zipf_weights(len(BOYS), 0.3)
    girl_w = _zipf_weights(len(GIRLS), 0.3)

    def names(of_sex: np.ndarray) -> np.ndarray:
        out = np.empty(of_sex.size, dtype=object)
        f = of_sex == "F"
        out[f] = rng.choice(girls, p=girl_w, size=int(f.sum()))
        out[~f] = rng.choice(boys, p=boy_w, size=int((~f).sum()))
        return out

    given = names(sex)
    # Parents do not give two children the same first name: redraw clashes with the
    # previous sibling (a few rounds settles virtually all of them).
    for _ in range(6):
        clash = (position > 0) & (given == np.roll(given, 1))
        if not clash.any():
            break
        given[clash] = names(sex[clash])
    middle = np.where(rng.random(n_children) < 0.55, names(sex), "")

    family = hh_surname[household].copy()
    half = rng.random(n_children) < 0.07  # half-siblings with the other parent's surname
    family[half] = rng.choice(surname_pool, p=surname_weights, size=int(half.sum()))
    changed = rng.random(n_children) < 0.05  # surname changed, e.g. a parent's marriage
    old_family = family.copy()
    old_family[changed] = rng.choice(surname_pool, p=surname_weights, size=int(changed.sum()))

    nhs = _nhs_numbers(rng, n_children).astype(str)
    birth_year = dob.astype("datetime64[Y]").astype(int) + 1970
    upn = _upns(rng, birth_year)
    has_upn = birth_year <= 2022  # school age

    # --- records: each agency holds the child with its own probability ---------------
    child_parts: list[np.ndarray] = []
    agency_parts: list[np.ndarray] = []
    for code, name in enumerate(AGENCIES):
        share = PROFILES[name].share_of_children
        held = rng.random(n_children) < share
        if name == "school":
            held &= has_upn
        # A few duplicates within one agency (re-registration after a move).
        again = held & (rng.random(n_children) < 0.04)
        for mask in (held, again):
            idx = np.flatnonzero(mask)
            child_parts.append(idx)
            agency_parts.append(np.full(idx.size, code))
    child = np.concatenate(child_parts)
    agency = np.concatenate(agency_parts)
    unseen = np.setdiff1d(np.arange(n_children), child)
    child = np.concatenate([child, unseen])
    agency = np.concatenate([agency, np.full(unseen.size, AGENCIES.index("health"))])
    order = rng.permutation(child.size)[:n_records]
    child, agency = child[order], agency[order]
    n = child.size

    def prob(field: str) -> np.ndarray:
        values = np.array([getattr(PROFILES[a], field) for a in AGENCIES])
        return values[agency]

    def roll(field: str) -> np.ndarray:
        return rng.random(n) < prob(field)

    # Given name: nickname, then typo, then the agency's capitalisation.
    rec_given = given[child].copy()
    nick = roll("nickname")
    nick_idx = np.flatnonzero(nick)
    picks = rng.random(nick_idx.size)
    for i, p in zip(nick_idx, picks, strict=True):
        options = GENERATOR_NICKNAMES.get(rec_given[i])
        if options:
            rec_given[i] = options[int(p * len(options))]
    _apply_typos(rec_given, roll("given_typo"), rng)

    rec_family = np.where(changed[child] & roll("stale_surname"), old_family[child], family[child])
    barrelled = np.char.find(rec_family.astype(str), "-") >= 0
    one_part = barrelled & (rng.random(n) < 0.3)  # some agencies keep only one part
    split_parts = np.char.partition(rec_family.astype(str), "-")
    rec_family = np.where(
        one_part,
        np.where(rng.random(n) < 0.5, split_parts[:, 0], split_parts[:, 2]),
        rec_family,
    ).astype(object)
    _apply_typos(rec_family, roll("family_typo"), rng)

    rec_middle = np.where(rng.random(n) < prob("other_names_kept"), middle[child], "")

    # Date of birth as typed.
    true_dob = dob[child]
    days = (true_dob - true_dob.astype("datetime64[M]")).astype(int) + 1
    months = true_dob.astype("datetime64[M]").astype(int) % 12 + 1
    years = true_dob.astype("datetime64[Y]").astype(int) + 1970
    typo_day = roll("dob_typo")
    days = np.where(typo_day, np.clip(days + rng.choice([-1, 1, 10, -10], size=n), 1, 28), days)
    swap = roll("dob_swap") & (days <= 12) & (days != months)
    days, months = np.where(swap, months, days), np.where(swap, days, months)
    d = pd.Series(days).astype(str).str.zfill(2)
    m = pd.Series(months).astype(str).str.zfill(2)
    y = pd.Series(years).astype(str)
    fmt = np.array([PROFILES[a].dob_format for a in AGENCIES])[agency]
    messy_short = rng.random(n) < 0.4
    dob_text = np.where(
        fmt == "iso",
        (y + "-" + m + "-" + d).to_numpy(),
        np.where(
            (fmt == "messy") & messy_short,
            (
                pd.Series(days).astype(str) + "/" + pd.Series(months).astype(str) + "/" + y.str[2:]
            ).to_numpy(),
            (d + "/" + m + "/" + y).to_numpy(),
        ),
    ).astype(object)
    dob_text[roll("dob_missing")] = ""

    rec_sex = sex[child].astype(object)
    rec_sex[roll("sex_missing")] = ""

    # Identifiers: present or not, sometimes mistyped, formatted as each system shows them.
    rec_nhs = np.where(roll("nhs_present"), nhs[child], "").astype(object)
    _mistype_digits(rec_nhs, roll("id_mistype"), rng)
    spaced = (agency == AGENCIES.index("health")) & (rec_nhs != "") & (rng.random(n) < 0.5)
    nhs_s = pd.Series(rec_nhs[spaced], dtype="string")
    rec_nhs[spaced] = (nhs_s.str[:3] + " " + nhs_s.str[3:6] + " " + nhs_s.str[6:]).to_numpy(
        dtype=object
    )
    rec_upn = np.where(roll("upn_present") & has_upn[child], upn[child], "").astype(object)
    _mistype_digits(rec_upn, roll("id_mistype"), rng)

    stale = moved[household[child]] & roll("stale_address")
    hh = household[child]
    rec_postcode = np.where(stale, hh_old_postcode[hh], hh_postcode[hh]).astype(object)
    rec_address = np.where(stale, hh_old_address[hh], hh_address[hh])
    pc_typo = roll("postcode_typo")
    _apply_typos(rec_postcode, pc_typo, rng)
    squash = rng.random(n) < 0.1
    rec_postcode[squash] = np.char.replace(rec_postcode[squash].astype(str), " ", "")
    rec_postcode[roll("postcode_missing")] = ""

    # Capitalisation habits: health systems shout, voluntary-sector forms vary.
    title = agency != AGENCIES.index("health")
    rec_given = np.where(title, np.char.title(rec_given.astype(str)), rec_given)
    rec_family = np.where(title, np.char.title(rec_family.astype(str)), rec_family)
    rec_middle = np.where(title, np.char.title(rec_middle.astype(str)), rec_middle)

    prefixes = np.array(["SCH", "NHS", "CSC", "VCS"])
    frame = pd.DataFrame(
        {
            "record_id": np.arange(n, dtype=np.int64),
            "agency": np.array(AGENCIES)[agency],
            "source_id": np.char.add(
                prefixes[agency], rng.integers(10**6, 10**7, size=n).astype(str)
            ),
            "given_name": rec_given,
            "family_name": rec_family,
            "other_names": rec_middle,
            "date_of_birth": dob_text,
            "sex": rec_sex,
            "nhs_number": rec_nhs,
            "upn": rec_upn,
            "postcode": rec_postcode,
            "address_line_1": np.char.title(rec_address.astype(str)),
            "true_child_id": child.astype(np.int64),
            "true_household_id": household[child].astype(np.int64),
            "true_date_of_birth": pd.Series(true_dob).dt.strftime("%Y-%m-%d").to_numpy(),
            "true_is_twin": is_twin[child],
        }
    )
    text_columns = [c for c in frame.columns if frame[c].dtype == object]
    frame[text_columns] = frame[text_columns].replace("", None)
    return frame


GROUND_TRUTH_COLUMNS = ("true_child_id", "true_household_id", "true_date_of_birth", "true_is_twin")
