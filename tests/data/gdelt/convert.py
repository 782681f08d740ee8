"""Turn GDELT 2.0 event rows into accord append requests: visits and signed agreements.

Data: The GDELT Project, https://www.gdeltproject.org/ (see README.md here).

`convert(csv_path)` reads the export with the csv module (every field a
string, so CAMEO codes keep their leading zeros) and keeps the rows whose
CAMEO EventCode is 042 (make a visit), 043 (host a visit) or 057 (sign formal
agreement). Each such row becomes one fact, or one `Rejected` entry saying
why it cannot; rows of other codes are out of scope and only counted.

The actors a fact names become entities (`country-…`, `person-…`, `org-…`),
each registered once, before the first request that names it. Every request
is checked with `prepare_request`; a fact the catalogue refuses is reported
as rejected with the problems, and nothing is registered for it alone.
Ids are uuid5s of fixed names, so converting the same file again gives the
same output.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from events.errors import InvalidEvent
from events.prepare import prepare_request

GDELT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://www.gdeltproject.org/")
"""The fixed namespace of every id the converter makes."""

VISIT_CODES = frozenset({"042", "043"})
AGREEMENT_CODE = "057"
IN_SCOPE = VISIT_CODES | {AGREEMENT_CODE}

ENTITY_DESCRIPTION = (
    "An actor as GDELT 2.0 machine-codes it from news text (The GDELT Project, "
    "https://www.gdeltproject.org/): a label, not a resolved identity."
)

NO_VISITOR = "no visitor named"
NO_TWO_PARTIES = "needs two named parties"

# CAMEO country code -> the country's usual English name, then the upper-case
# names GDELT uses for the country itself. An actor is a country when its
# Actor*CountryCode is listed here and its name is one of these names; a
# demonym (CHINESE), a capital (BEIJING) or a region (AFRICA, code AFR) is not.
_COUNTRY_TABLE = """
AFG|Afghanistan
ARE|United Arab Emirates
ARG|Argentina
ARM|Armenia
AUS|Australia
AUT|Austria
AZE|Azerbaijan
BEL|Belgium
BFA|Burkina Faso
BGD|Bangladesh
BHR|Bahrain
BHS|Bahamas|BAHAMA|THE BAHAMAS
BLR|Belarus
BLZ|Belize
BOL|Bolivia
BRA|Brazil
BRB|Barbados
BRN|Brunei
CAF|Central African Republic
CAN|Canada
CHE|Switzerland
CHL|Chile
CHN|China
CIV|Côte d'Ivoire|COTE D'IVOIRE|IVORY COAST
COD|Democratic Republic of the Congo
COL|Colombia
CUB|Cuba
CYP|Cyprus
DEU|Germany
DJI|Djibouti
DNK|Denmark
DZA|Algeria
ECU|Ecuador
EGY|Egypt
ESP|Spain
ETH|Ethiopia
FIN|Finland
FJI|Fiji
FRA|France
GBR|United Kingdom|BRITAIN|GREAT BRITAIN
GHA|Ghana
GMB|Gambia|THE GAMBIA
GNQ|Equatorial Guinea
GRC|Greece
GTM|Guatemala
HND|Honduras
HRV|Croatia
HTI|Haiti
HUN|Hungary
IDN|Indonesia
IND|India
IRL|Ireland
IRN|Iran
IRQ|Iraq
ISL|Iceland
ISR|Israel
ITA|Italy
JOR|Jordan
JPN|Japan
KAZ|Kazakhstan
KEN|Kenya
KHM|Cambodia
KOR|South Korea
KWT|Kuwait
LAO|Laos
LBN|Lebanon
LBR|Liberia
LBY|Libya
LKA|Sri Lanka
LTU|Lithuania
LUX|Luxembourg
LVA|Latvia
MAR|Morocco
MCO|Monaco
MDV|Maldives
MEX|Mexico
MKD|Macedonia
MLI|Mali
MMR|Myanmar
MNG|Mongolia
MRT|Mauritania
MYS|Malaysia
NAM|Namibia
NER|Niger
NGA|Nigeria
NIC|Nicaragua
NLD|Netherlands|THE NETHERLANDS
NOR|Norway
NPL|Nepal
NZL|New Zealand
OMN|Oman
PAK|Pakistan
PAN|Panama
PHL|Philippines|THE PHILIPPINES
PNG|Papua New Guinea
POL|Poland
PRK|North Korea
PSE|Palestine
QAT|Qatar
RUS|Russia
RWA|Rwanda
SAU|Saudi Arabia
SDN|Sudan
SGP|Singapore
SLV|El Salvador
SRB|Serbia
SSD|South Sudan
SWE|Sweden
SYR|Syria
TCD|Chad
TGO|Togo
THA|Thailand
TUN|Tunisia
TUR|Turkey
TWN|Taiwan
TZA|Tanzania
UKR|Ukraine
USA|United States|UNITED STATES OF AMERICA
VAT|Vatican|VATICAN CITY|HOLY SEE
VCT|Saint Vincent and the Grenadines|ST VINCENT|SAINT VINCENT
VEN|Venezuela
VNM|Vietnam
YEM|Yemen
ZAF|South Africa
ZMB|Zambia
ZWE|Zimbabwe
"""


class _Country(NamedTuple):
    name: str
    names: frozenset[str]


def _countries(table: str) -> dict[str, _Country]:
    found = {}
    for line in table.strip().splitlines():
        code, name, *others = line.split("|")
        found[code] = _Country(name, frozenset({name.upper(), *others}))
    return found


COUNTRIES = _countries(_COUNTRY_TABLE)

# GDELT also codes named people (OBAMA, USAGOV), with the same codes as the
# roles (PRESIDENT, GOV), so the codes cannot tell them apart. These names, all
# seen in the sample, are people; every other actor that is not a country is
# an organisation or group. (HANI, code `hni`, is the Hani people, a group.)
PEOPLE = frozenset(
    {
        "ABDULLAH", "AFTAB AHMED", "AL GORE", "ALBERT", "ANGELA MERKEL", "ASHRAF GHANI",
        "BARACK OBAMA", "BENEDICT XVI", "CHARLES MICHEL", "DAVID CAMERON", "DAVID CARTER",
        "DAVID JOHNSTON", "ERIK SOLHEIM", "GEORGE W. BUSH", "GERRY BROWNLEE", "GORDON BROWN",
        "GULBUDDIN HEKMATYAR", "HASSAN", "HILLARY CLINTON", "IGOR SECHIN", "JACOB ZUMA",
        "JEAN CLAUDE JUNCKER", "LEE HSIEN LOONG", "LI KEQIANG", "MAHMOUD ABBAS", "MICHAEL GOVE",
        "NASSER", "NURSULTAN NAZARBAYEV", "OBAMA", "OLUSEGUN OBASANJO",
        "PRANAB MUKHERJEE", "RECEP TAYYIP ERDOGAN", "REUVEN RIVLIN", "RUSH LIMBAUGH",
        "SHINZO ABE", "SULE LAMIDO", "THERESA MAY", "TINA JOEMAT PETTERSSON",
        "VICENTE FOX QUESADA", "VLADIMIR PUTIN", "XI JINPING",
    }
)

_ROMAN = re.compile(r"^(?=[MDCLXVI])M*(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})$")


def slugify(text: str) -> str:
    """ASCII lower case, runs of anything else as one hyphen, no hyphen at either end."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def title_case(name: str) -> str:
    """`GEORGE W. BUSH` -> `George W. Bush`; Roman numerals stay upper case (`Benedict XVI`)."""

    def word(part: str) -> str:
        if len(part) > 1 and _ROMAN.match(part.upper()):
            return part.upper()
        return part[:1].upper() + part[1:].lower()

    return " ".join("-".join(word(p) for p in token.split("-")) for token in name.split())


def edtf_day(digits: str) -> str:
    """`20170501` (or the first 8 digits of `20170501234500`) -> `2017-05-01`."""
    return f"{digits[0:4]}-{digits[4:6]}-{digits[6:8]}"


def publisher_of(url: str) -> str:
    """The URL's host without a leading `www.`; empty if it has none."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


class Rejected(NamedTuple):
    """A source row that is a visit or signed agreement but could not become a valid fact."""

    global_event_id: str
    reason: str


@dataclass
class Conversion:
    """What `convert` made of a file: requests to append in order, and what it refused."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    rows: int = 0
    in_scope: int = 0
    skipped_out_of_scope: int = 0

    def count(self, event_type: str) -> int:
        return sum(1 for r in self.requests for e in r["events"] if e["type"] == event_type)

    @property
    def visits(self) -> int:
        return self.count("VisitMade")

    @property
    def agreements(self) -> int:
        return self.count("AgreementSigned")

    @property
    def entities(self) -> int:
        return self.count("EntityRegistered")


class _Unusable(Exception):
    """A row that cannot become a fact; the message is the reason."""


@dataclass(frozen=True)
class Actor:
    """One named actor of a row, with the entity it becomes."""

    name: str  # as GDELT gives it, surrounding white space removed
    code: str  # CAMEO actor code, may be empty
    stream: str
    kind: str
    display: str


def read_actor(row: dict[str, str], side: str) -> Actor | None:
    """`side` is Actor1 or Actor2; None when the actor is blank."""
    name = row[f"{side}Name"].strip()
    if not name:
        return None
    code = row[f"{side}Code"].strip()
    upper = name.upper()
    country = COUNTRIES.get(row[f"{side}CountryCode"].strip())
    if upper in PEOPLE:
        prefix, kind, display = "person", "person", title_case(name)
    elif country is not None and upper in country.names:
        prefix, kind, display = "country", "country", country.name
    else:
        # LEG: legislatures and their members, the bodies that vote.
        prefix, display = "org", title_case(name)
        kind = "body" if row[f"{side}Type1Code"].strip() == "LEG" else "organization"
    slug = slugify(display)
    if not slug:
        raise _Unusable(f"actor name {name!r} has no letter or digit to make a stream id from")
    return Actor(name, code, f"{prefix}-{slug}", kind, display)


@dataclass
class _Fact:
    global_event_id: str
    stream: str
    event: dict[str, Any]
    actors: list[Actor]


def _source(row: dict[str, str]) -> dict[str, Any]:
    url = row["SOURCEURL"]
    return {"publisher": publisher_of(url), "url": url, "published": edtf_day(row["DATEADDED"].strip())}


def _fact(row: dict[str, str]) -> _Fact:
    """The fact a row in scope states; raise _Unusable with the reason if it states none."""
    gid = row["GLOBALEVENTID"].strip()
    code = row["EventCode"].strip()
    first, second = read_actor(row, "Actor1"), read_actor(row, "Actor2")
    occurred = edtf_day(row["SQLDATE"].strip())
    if code in VISIT_CODES:
        visitor, host = (first, second) if code == "042" else (second, first)
        if visitor is None:
            raise _Unusable(NO_VISITOR)
        data: dict[str, Any] = {"visitors": [visitor.stream]}
        if host is not None:
            data["host"] = host.stream
        place = row["ActionGeo_FullName"].strip()
        if place:
            data["place"] = place
        purpose = row["CAMEOCodeDescription"].strip()
        if purpose:
            data["purpose"] = purpose
        event_type = "VisitMade"
        actors = [visitor] if host is None else [visitor, host]
        stream = (host or visitor).stream
    else:
        if first is None or second is None:
            raise _Unusable(NO_TWO_PARTIES)
        if first.stream == second.stream:
            raise _Unusable(f"{NO_TWO_PARTIES}: both actors are {first.stream}")
        title = f"Agreement between {first.display} and {second.display} (GDELT event {gid})"
        event_type = "AgreementSigned"
        data = {"title": title, "parties": [first.stream, second.stream], "signed": occurred}
        actors = [first, second]
        stream = f"agreement-gdelt-{slugify(gid)}"
    event = {
        "id": str(uuid.uuid5(GDELT_NAMESPACE, f"gdelt:{gid}")),
        "type": event_type,
        "occurred": occurred,
        "data": data,
        "sources": [_source(row)],
        "metadata": {"correlation_id": f"gdelt:{gid}"},
    }
    return _Fact(gid, stream, event, actors)


@dataclass
class _Entity:
    """An entity to register: as its first accepted fact names it, with what later ones add."""

    actor: Actor
    aliases: list[str]
    introduced_by: _Fact  # the earliest fact naming it (by date, then row order)

    def add(self, actor: Actor, fact: _Fact) -> None:
        for alias in (actor.name, actor.code):
            if alias and alias not in self.aliases:
                self.aliases.append(alias)
        if fact.event["occurred"] < self.introduced_by.event["occurred"]:
            self.introduced_by = fact

    def event(self) -> dict[str, Any]:
        fact = self.introduced_by
        return {
            "id": str(uuid.uuid5(GDELT_NAMESPACE, f"gdelt-entity:{self.actor.stream}")),
            "type": "EntityRegistered",
            "occurred": fact.event["occurred"],
            "data": {
                "kind": self.actor.kind,
                "name": self.actor.display,
                "aliases": list(self.aliases),
                "description": ENTITY_DESCRIPTION,
            },
            "sources": fact.event["sources"],
            "metadata": {"correlation_id": f"gdelt:{fact.global_event_id}"},
        }


def _problems(exc: InvalidEvent) -> str:
    return "invalid: " + "; ".join(str(p) for p in exc.problems)


def convert(csv_path: str | Path) -> Conversion:
    """Read a GDELT 2.0 events export (with header) and convert its visits and agreements."""
    conversion = Conversion()
    facts: list[_Fact] = []
    with open(csv_path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            conversion.rows += 1
            if row["EventCode"].strip() not in IN_SCOPE:
                conversion.skipped_out_of_scope += 1
                continue
            conversion.in_scope += 1
            try:
                fact = _fact(row)
                prepare_request(fact.stream, "any", [fact.event])
                for actor in fact.actors:  # would its entities be valid, as this fact introduces them?
                    prepare_request(actor.stream, "no_stream", [_Entity(actor, [], fact).event()])
            except _Unusable as exc:
                conversion.rejected.append(Rejected(row["GLOBALEVENTID"].strip(), str(exc)))
                continue
            except InvalidEvent as exc:
                conversion.rejected.append(Rejected(row["GLOBALEVENTID"].strip(), _problems(exc)))
                continue
            facts.append(fact)

    entities: dict[str, _Entity] = {}
    for fact in facts:
        for actor in fact.actors:
            entities.setdefault(actor.stream, _Entity(actor, [], fact)).add(actor, fact)

    versions: dict[str, int] = {}

    def append(stream: str, event: dict[str, Any]) -> None:
        expected: int | str = versions.get(stream, "no_stream")
        request = {"stream": stream, "expected_version": expected, "events": [event]}
        prepare_request(stream, expected, [event])  # checked above piece by piece; this cannot fail
        conversion.requests.append(request)
        versions[stream] = versions.get(stream, -1) + 1

    for fact in facts:
        for actor in fact.actors:
            if actor.stream not in versions:
                append(actor.stream, entities[actor.stream].event())
        append(fact.stream, fact.event)
    return conversion


def write_ndjson(conversion: Conversion, path: str | Path) -> int:
    """Write the requests one a line, as `accord import` reads them; return the line count."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for request in conversion.requests:
            out.write(json.dumps(request, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
    return len(conversion.requests)


SAMPLE = Path(__file__).with_name("gdelt_events_sample.csv")


def main(argv: list[str]) -> int:
    """`python -m tests.data.gdelt.convert [CSV] [OUT.ndjson]`: convert and print a summary."""
    source = Path(argv[0]) if argv else SAMPLE
    conversion = convert(source)
    print(
        f"{conversion.rows} rows, {conversion.in_scope} in scope, {conversion.skipped_out_of_scope} out of scope: "
        f"{conversion.visits} visits, {conversion.agreements} agreements, {conversion.entities} entities, "
        f"{len(conversion.rejected)} rejected"
    )
    for rejected in conversion.rejected:
        print(f"  rejected {rejected.global_event_id}: {rejected.reason}")
    if len(argv) > 1:
        write_ndjson(conversion, argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
