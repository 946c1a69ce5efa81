"""The fixed cast of the demo area: Ashworth's agencies, practitioners and partnerships.

Ashworth is a fictional English town. At the default size its local authority has ten
schools (two of them extended schools), a nursery and a children's centre, health services,
children's social care, police, a youth offending team, housing, a youth service and six
voluntary organisations; about sixty practitioners work across them and in seven
partnerships covering every government model and every model of activity.

A larger area (more children) adds localities, schools and GP practices in proportion, so
no school ends up with ten thousand pupils; the practitioners and partnerships stay the
same. Everything here is data; ``population`` turns it into children and involvements.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import product

from joinedup.accounts.models import ProfessionalBackground as Background
from joinedup.partnerships.models import (
    ActivityModel,
    AgencyKind,
    GovernmentModel,
    MembershipRole,
    Sector,
)

TOWN = "Ashworth"
LOCAL_AUTHORITY = "Ashworth Borough Council"
EMAIL_DOMAIN = "ashworth.example"  # .example is reserved: mail to it goes nowhere
# Ofcom keeps 01632 960000–960999 for drama: these numbers ring nobody.
PHONE_PREFIX = "01632 960"

PRIMARY = "primary"
SECONDARY = "secondary"

# Pupils per school and children per GP practice when the area grows beyond its base size.
PUPILS_PER_PRIMARY_SCHOOL = 320
PUPILS_PER_SECONDARY_SCHOOL = 1000
CHILDREN_PER_GP_PRACTICE = 2500
CHILDREN_PER_LOCALITY = 20_000

# Postcode areas that no real postcode uses, so demo postcodes look right but find nothing.
POSTCODE_AREAS = ("AW", "AX", "AY")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters real inward codes use
STREET_TYPES = (
    "Street",
    "Road",
    "Lane",
    "Avenue",
    "Close",
    "Grove",
    "Way",
    "Crescent",
    "Drive",
    "Terrace",
    "Gardens",
    "Walk",
)

# Generated place names for the extra localities, schools and practices of a large area.
# fmt: off
PLACE_STARTS = (
    "Alder", "Ash", "Beech", "Birch", "Bram", "Brook", "Castle", "Cherry", "Clay", "Cold",
    "Elm", "Fair", "Fern", "Fox", "Glen", "Green", "Hare", "Hawk", "Hazel", "Heath", "High",
    "Holly", "Holm", "Kings", "Lark", "Lin", "Long", "Marsh", "Mead", "Mill", "Moor", "Oak",
    "Red", "Rose", "Rush", "Sand", "Stan", "Stone", "Thorn", "Wal", "West", "Whit", "Willow",
    "Wood",
)
PLACE_ENDS = (
    "field", "brook", "wood", "ley", "ton", "bury", "ford", "gate", "hill", "dale", "mere",
    "worth", "croft", "side", "bank", "lands", "hurst",
)
EXTRA_TOWNS = (
    "Castlebury", "Holmbridge", "Wexley", "Thornbeck", "Ravensmoor", "Oldcastle", "Brackley Vale",
    "Linthorpe Moor", "Saltwick", "Deanhurst", "Kelbrook", "Fenwick Cross",
)
# fmt: on
EXTRA_NAME_PATTERNS = {
    "primary": (
        "{} Primary School",
        "{} Community Primary School",
        "{} Infant and Junior School",
        "{} CE Primary School",
    ),
    "secondary": ("{} High School", "{} Academy", "{} Community College"),
    "gp": ("{} Surgery", "{} Medical Practice", "{} Health Centre", "{} Family Practice"),
}


@dataclass(frozen=True)
class Locality:
    index: int
    name: str
    town: str
    postcode_district: str
    streets: tuple[Street, ...] = ()


@dataclass(frozen=True)
class Street:
    name: str
    houses: int
    postcodes: tuple[str, ...]


@dataclass(frozen=True)
class AgencySpec:
    key: str
    name: str
    sector: Sector
    kind: AgencyKind
    locality: int = 0
    phase: str = ""  # PRIMARY or SECONDARY for schools
    sixth_form: bool = False
    establishment_number: int = 0  # the school's number in unique pupil numbers


def _agency(key: str, name: str, sector: Sector, kind: AgencyKind, locality: int = 0) -> AgencySpec:
    return AgencySpec(key=key, name=name, sector=sector, kind=kind, locality=locality)


# fmt: off
def _school(key: str, name: str, kind: AgencyKind, locality: int, phase: str, number: int, *,
            sixth_form: bool = False) -> AgencySpec:
# fmt: on
    return AgencySpec(
        key=key,
        name=name,
        sector=Sector.EDUCATION,
        kind=kind,
        locality=locality,
        phase=phase,
        sixth_form=sixth_form,
        establishment_number=number,
    )


SCHOOL = AgencyKind.SCHOOL
EXTENDED = AgencyKind.EXTENDED_SCHOOL

BASE_LOCALITIES = ("Town Centre", "Brookfield", "Millbrook", "Hollins", "Castle Hill")

# fmt: off
BASE_AGENCIES: tuple[AgencySpec, ...] = (
    # Schools: seven primaries and three secondaries, two of them extended schools.
    _school("brookfield", "Brookfield Community Primary School", EXTENDED, 1, PRIMARY, 2001),
    _school("st_annes", "St Anne's CE Primary School", SCHOOL, 0, PRIMARY, 3002),
    _school("millbrook_primary", "Millbrook Primary School", SCHOOL, 2, PRIMARY, 2003),
    _school("hollins_lane", "Hollins Lane Primary School", SCHOOL, 3, PRIMARY, 2004),
    _school("oakfield", "Oakfield Primary School", SCHOOL, 4, PRIMARY, 2005),
    _school("kingsway", "Kingsway Primary School", SCHOOL, 0, PRIMARY, 2006),
    _school("holy_family", "Holy Family Catholic Primary School", SCHOOL, 2, PRIMARY, 3007),
    _school("ashworth_park", "Ashworth Park Academy", EXTENDED, 0, SECONDARY, 4001, sixth_form=True),
    _school("castle_hill", "Castle Hill High School", SCHOOL, 4, SECONDARY, 4002, sixth_form=True),
    _school("greenbank", "Greenbank High School", SCHOOL, 3, SECONDARY, 4003),
    # Early years and the local authority's education services.
    _agency("little_acorns", "Little Acorns Day Nursery", Sector.EDUCATION, AgencyKind.NURSERY, 1),
    _agency("childrens_centre", "Millbrook Children's Centre", Sector.EDUCATION,
            AgencyKind.CHILDRENS_CENTRE, 2),
    _agency("ed_psych", "Ashworth Educational Psychology Service", Sector.EDUCATION, AgencyKind.OTHER),
    _agency("education_welfare", "Ashworth Attendance and Education Welfare Service",
            Sector.EDUCATION, AgencyKind.OTHER),
    _agency("behaviour_support", "Ashworth Behaviour Support Service", Sector.EDUCATION,
            AgencyKind.OTHER),
    # Health.
    _agency("health_visiting", "Ashworth Health Visiting Service", Sector.HEALTH,
            AgencyKind.HEALTH_VISITING),
    _agency("school_nursing", "Ashworth School Nursing Service", Sector.HEALTH,
            AgencyKind.SCHOOL_NURSING),
    _agency("ashworth_medical", "Ashworth Medical Centre", Sector.HEALTH, AgencyKind.GP_PRACTICE, 0),
    _agency("brookfield_practice", "Brookfield Family Practice", Sector.HEALTH,
            AgencyKind.GP_PRACTICE, 1),
    _agency("canal_street", "Canal Street Surgery", Sector.HEALTH, AgencyKind.GP_PRACTICE, 2),
    _agency("hollins_health", "Hollins Health Centre", Sector.HEALTH, AgencyKind.GP_PRACTICE, 3),
    _agency("castle_hill_practice", "Castle Hill Medical Practice", Sector.HEALTH,
            AgencyKind.GP_PRACTICE, 4),
    _agency("camhs", "Ashworth CAMHS", Sector.HEALTH, AgencyKind.CAMHS),
    _agency("slt", "Ashworth Children's Speech and Language Therapy", Sector.HEALTH,
            AgencyKind.SPEECH_AND_LANGUAGE),
    # Children's social care, police, youth justice, housing and youth services.
    _agency("social_care", "Ashworth Children's Social Care", Sector.SOCIAL_CARE,
            AgencyKind.SOCIAL_CARE_TEAM),
    _agency("early_help", "Ashworth Early Help Service", Sector.SOCIAL_CARE, AgencyKind.OTHER),
    _agency("police", "Ashworth Neighbourhood Policing Team", Sector.POLICE, AgencyKind.POLICE_TEAM),
    _agency("yot", "Ashworth Youth Offending Team", Sector.YOUTH_JUSTICE,
            AgencyKind.YOUTH_OFFENDING_TEAM),
    _agency("housing", "Ashworth Borough Council Housing Services", Sector.HOUSING,
            AgencyKind.HOUSING_SERVICE),
    _agency("youth_service", "Ashworth Youth Service", Sector.OTHER, AgencyKind.YOUTH_SERVICE),
    # The voluntary and community sector.
    _agency("young_carers", "Ashworth Young Carers Project", Sector.VOLUNTARY,
            AgencyKind.VOLUNTARY_ORGANISATION),
    _agency("bright_start", "Bright Start Family Support", Sector.VOLUNTARY,
            AgencyKind.VOLUNTARY_ORGANISATION, 2),
    _agency("lighthouse", "The Lighthouse Youth Project", Sector.VOLUNTARY,
            AgencyKind.VOLUNTARY_ORGANISATION, 3),
    _agency("open_door", "Open Door Counselling for Young People", Sector.VOLUNTARY,
            AgencyKind.VOLUNTARY_ORGANISATION),
    _agency("safe_haven", "Safe Haven Domestic Abuse Service", Sector.VOLUNTARY,
            AgencyKind.VOLUNTARY_ORGANISATION),
    _agency("refugee_welcome", "Ashworth Refugee and Migrant Welcome", Sector.VOLUNTARY,
            AgencyKind.VOLUNTARY_ORGANISATION, 4),
)
# fmt: on


# Services: the kinds of involvement a child can have ----------------------------------

# Where a service's agency is one of these, the child's own school, GP practice or
# nursery provides it rather than one fixed agency.
CHILDS_SCHOOL = "@school"
CHILDS_GP_PRACTICE = "@gp_practice"


@dataclass(frozen=True)
class Service:
    """A kind of involvement: which agency provides it, to which ages and how often.

    ``rate`` is the share of eligible children involved with the service; ``localities``
    limits a local service (a nursery, a children's centre) to the children living nearby.
    """

    key: str
    agency: str
    role: str
    min_age: int
    max_age: int
    rate: float
    ended_share: float = 0.35
    localities: tuple[int, ...] = ()


# The core involvements (school, GP practice, health visiting) are made directly by the
# population generator; these are the keys their named practitioners use.
CLASS_TEACHER = "class_teacher"
GP = "gp"
HEALTH_VISITING = "health_visiting"

SERVICES: tuple[Service, ...] = (
    Service("school_nursing", "school_nursing", "School nurse", 4, 16, 0.10),
    Service("nursery", "little_acorns", "Nursery key worker", 2, 3, 0.30, 0.1, localities=(1,)),
    Service(
        "childrens_centre",
        "childrens_centre",
        "Children's centre services",
        0,
        4,
        0.35,
        0.2,
        localities=(1, 2, 3),
    ),
    Service("dsl", CHILDS_SCHOOL, "Designated safeguarding lead", 4, 17, 0.015),
    Service("senco", CHILDS_SCHOOL, "Special educational needs coordinator (SENCo)", 4, 16, 0.05),
    Service("family_link", CHILDS_SCHOOL, "Family link worker", 4, 11, 0.02),
    Service("pastoral", CHILDS_SCHOOL, "Head of year", 11, 17, 0.03),
    Service("early_help", "early_help", "Family support worker", 0, 17, 0.03),
    Service("social_care", "social_care", "Social worker", 0, 17, 0.03, 0.4),
    Service("camhs", "camhs", "CAMHS clinician", 5, 17, 0.025),
    Service("ed_psych", "ed_psych", "Educational psychologist", 3, 16, 0.012),
    Service("education_welfare", "education_welfare", "Education welfare officer", 5, 16, 0.015),
    Service("behaviour", "behaviour_support", "Behaviour support worker", 5, 16, 0.015),
    Service("slt", "slt", "Speech and language therapist", 2, 10, 0.04),
    Service("police", "police", "Police officer", 10, 17, 0.01, 0.5),
    Service("yot", "yot", "YOT case manager", 10, 17, 0.004),
    Service("housing", "housing", "Housing officer", 0, 17, 0.012),
    Service("youth", "youth_service", "Youth worker", 11, 17, 0.04),
    Service("connexions", "youth_service", "Personal adviser", 13, 17, 0.03),
    Service("young_carers", "young_carers", "Young carers support worker", 8, 17, 0.008),
    Service("bright_start", "bright_start", "Family support volunteer", 0, 10, 0.01),
    Service("lighthouse", "lighthouse", "Youth project worker", 11, 17, 0.015),
    Service("open_door", "open_door", "Counsellor", 11, 17, 0.01),
    Service("safe_haven", "safe_haven", "Children's domestic abuse worker", 0, 17, 0.006),
    Service("refugee_welcome", "refugee_welcome", "Family support worker", 0, 17, 0.006),
)


# Practitioners ------------------------------------------------------------------------


@dataclass(frozen=True)
class PractitionerSpec:
    """One demo practitioner. ``service`` and ``role`` say which involvements they hold;
    ``caseload`` caps how many children they are named against, as a real caseload would."""

    username: str
    first_name: str
    last_name: str
    job_title: str
    background: Background
    agency: str | None
    service: str = ""
    role: str = ""
    caseload: int = 0
    year_group: int | None = None  # for class teachers and form tutors
    line_manager: str = ""
    supervisor: str = ""
    data_manager: bool = False  # sends the agency's records to Joined Up as feeds


# fmt: off
def _teacher(username: str, first: str, last: str, school: str, year: int, *,
             line_manager: str = "") -> PractitionerSpec:
# fmt: on
    if year >= 7:
        title, role = f"Year {year} form tutor", "Form tutor"
    else:
        title, role = ("Reception" if year == 0 else f"Year {year}") + " class teacher", "Class teacher"
    return PractitionerSpec(
        username, first, last, title, Background.TEACHING, school, CLASS_TEACHER, role, 30, year,
        line_manager,
    )


P = PractitionerSpec
B = Background
# fmt: off
PRACTITIONERS: tuple[PractitionerSpec, ...] = (
    # Schools.
    P("sarah.whitworth", "Sarah", "Whitworth", "Head teacher and designated safeguarding lead",
      B.TEACHING, "brookfield", "dsl", "Designated safeguarding lead", 12),
    _teacher("emma.clarke", "Emma", "Clarke", "brookfield", 2, line_manager="sarah.whitworth"),
    P("ben.ashby", "Ben", "Ashby", "Extended services coordinator", B.FAMILY_SUPPORT, "brookfield",
      "family_link", "Family link worker", 20, line_manager="sarah.whitworth"),
    P("aisha.rahman", "Aisha", "Rahman", "Special educational needs coordinator", B.TEACHING,
      "brookfield", "senco", "SENCo", 25, line_manager="sarah.whitworth"),
    _teacher("kate.oconnor", "Kate", "O'Connor", "st_annes", 5),
    _teacher("david.haworth", "David", "Haworth", "millbrook_primary", 0),
    _teacher("jaspreet.gill", "Jaspreet", "Gill", "hollins_lane", 4),
    _teacher("tom.pilling", "Tom", "Pilling", "oakfield", 6),
    _teacher("grace.mensah", "Grace", "Mensah", "kingsway", 1),
    _teacher("lucy.byrne", "Lucy", "Byrne", "holy_family", 3),
    P("paul.greenwood", "Paul", "Greenwood", "Head of Year 11", B.TEACHING, "ashworth_park",
      "pastoral", "Head of year", 30),
    _teacher("marcus.campbell", "Marcus", "Campbell", "ashworth_park", 9,
             line_manager="paul.greenwood"),
    P("zofia.nowak", "Zofia", "Nowak", "Special educational needs coordinator", B.TEACHING,
      "ashworth_park", "senco", "SENCo", 25),
    _teacher("hannah.lord", "Hannah", "Lord", "castle_hill", 7, line_manager="imran.qureshi"),
    P("imran.qureshi", "Imran", "Qureshi", "Deputy head and designated safeguarding lead",
      B.TEACHING, "castle_hill", "dsl", "Designated safeguarding lead", 15),
    _teacher("chloe.schofield", "Chloe", "Schofield", "greenbank", 10),
    # Early years.
    P("michelle.holt", "Michelle", "Holt", "Nursery manager", B.EARLY_YEARS, "little_acorns",
      "nursery", "Nursery key worker", 20),
    P("joanne.price", "Joanne", "Price", "Children's centre manager", B.EARLY_YEARS,
      "childrens_centre", "childrens_centre", "Children's centre manager", 8),
    P("nadia.hussain", "Nadia", "Hussain", "Family worker", B.FAMILY_SUPPORT, "childrens_centre",
      "childrens_centre", "Children's centre family worker", 40, line_manager="joanne.price"),
    P("kelly.marshall", "Kelly", "Marshall", "Early years practitioner", B.EARLY_YEARS,
      "childrens_centre", "childrens_centre", "Early years practitioner", 40,
      line_manager="joanne.price"),
    # The local authority's education services.
    P("rebecca.thornton", "Rebecca", "Thornton", "Principal educational psychologist",
      B.PSYCHOLOGY, "ed_psych", "ed_psych", "Educational psychologist", 15),
    P("omar.farah", "Omar", "Farah", "Educational psychologist", B.PSYCHOLOGY, "ed_psych",
      "ed_psych", "Educational psychologist", 40, line_manager="rebecca.thornton",
      supervisor="rebecca.thornton"),
    P("gary.stott", "Gary", "Stott", "Education welfare officer", B.SOCIAL_WORK,
      "education_welfare", "education_welfare", "Education welfare officer", 40),
    P("natalie.harvey", "Natalie", "Harvey", "Behaviour and education support team leader",
      B.TEACHING, "behaviour_support", "behaviour", "Behaviour support teacher", 10),
    P("sean.quinn", "Sean", "Quinn", "Behaviour support teacher", B.TEACHING, "behaviour_support",
      "behaviour", "Behaviour support teacher", 25, line_manager="natalie.harvey"),
    # Health visiting and school nursing, with a named nurse for professional supervision.
    P("ruth.kershaw", "Ruth", "Kershaw", "Named nurse for safeguarding children", B.NURSING,
      "health_visiting", HEALTH_VISITING, "Health visitor (safeguarding)", 10),
    P("helen.brierley", "Helen", "Brierley", "Health visiting team leader", B.HEALTH_VISITING,
      "health_visiting", HEALTH_VISITING, "Health visitor", 60, supervisor="ruth.kershaw"),
    P("grace.adeyemi", "Grace", "Adeyemi", "Health visitor", B.HEALTH_VISITING, "health_visiting",
      HEALTH_VISITING, "Health visitor", 150, line_manager="helen.brierley",
      supervisor="ruth.kershaw"),
    P("sophie.walsh", "Sophie", "Walsh", "Health visitor", B.HEALTH_VISITING, "health_visiting",
      HEALTH_VISITING, "Health visitor", 150, line_manager="helen.brierley",
      supervisor="ruth.kershaw"),
    P("amara.okafor", "Amara", "Okafor", "Community nursery nurse", B.EARLY_YEARS,
      "health_visiting", HEALTH_VISITING, "Community nursery nurse", 40,
      line_manager="helen.brierley"),
    P("claire.sutcliffe", "Claire", "Sutcliffe", "School nursing team leader", B.NURSING,
      "school_nursing", "school_nursing", "School nurse", 60, supervisor="ruth.kershaw"),
    P("practitioner", "Priya", "Sharma", "School nurse", B.NURSING, "school_nursing",
      "school_nursing", "School nurse", 120, line_manager="claire.sutcliffe",
      supervisor="ruth.kershaw"),
    P("liam.mccarthy", "Liam", "McCarthy", "School nurse", B.NURSING, "school_nursing",
      "school_nursing", "School nurse", 120, line_manager="claire.sutcliffe",
      supervisor="ruth.kershaw"),
    P("anil.desai", "Anil", "Desai", "GP partner", B.MEDICINE, "ashworth_medical", GP, "GP", 40),
    # CAMHS and speech and language therapy.
    P("farah.siddiqui", "Farah", "Siddiqui", "Consultant clinical psychologist", B.PSYCHOLOGY,
      "camhs", "camhs", "Clinical psychologist", 20),
    P("rhys.evans", "Rhys", "Evans", "CAMHS nurse", B.NURSING, "camhs", "camhs", "CAMHS nurse",
      35, line_manager="farah.siddiqui", supervisor="ruth.kershaw"),
    P("mei.chen", "Mei", "Chen", "Primary mental health worker", B.PSYCHOLOGY, "camhs", "camhs",
      "Primary mental health worker", 35, line_manager="farah.siddiqui",
      supervisor="farah.siddiqui"),
    P("laura.pickering", "Laura", "Pickering", "Speech and language therapist",
      B.SPEECH_AND_LANGUAGE, "slt", "slt", "Speech and language therapist", 60),
    # Children's social care and early help.
    P("mark.davies", "Mark", "Davies", "Social work team manager", B.SOCIAL_WORK, "social_care",
      "social_care", "Team manager", 6),
    P("siobhan.kelly", "Siobhan", "Kelly", "Senior social worker", B.SOCIAL_WORK, "social_care",
      "social_care", "Social worker", 15, line_manager="mark.davies"),
    P("joanna.kowalski", "Joanna", "Kowalski", "Social worker", B.SOCIAL_WORK, "social_care",
      "social_care", "Social worker", 18, line_manager="mark.davies",
      supervisor="siobhan.kelly"),
    P("andre.francis", "Andre", "Francis", "Social worker", B.SOCIAL_WORK, "social_care",
      "social_care", "Social worker", 18, line_manager="mark.davies",
      supervisor="siobhan.kelly"),
    P("kwame.boateng", "Kwame", "Boateng", "Social worker", B.SOCIAL_WORK, "social_care",
      "social_care", "Social worker", 18, line_manager="mark.davies",
      supervisor="siobhan.kelly"),
    P("coordinator", "Rachel", "Bradshaw", "Early help coordinator", B.FAMILY_SUPPORT,
      "early_help", "early_help", "Lead professional", 12),
    P("dean.hargreaves", "Dean", "Hargreaves", "Family support worker", B.FAMILY_SUPPORT,
      "early_help", "early_help", "Family support worker", 15, line_manager="coordinator"),
    P("yasmin.malik", "Yasmin", "Malik", "Family support worker", B.FAMILY_SUPPORT, "early_help",
      "early_help", "Family support worker", 15, line_manager="coordinator"),
    # Police, youth justice and housing.
    P("karen.holmes", "Karen", "Holmes", "Police sergeant", B.POLICING, "police", "police",
      "Police officer", 10),
    P("ryan.ahmed", "Ryan", "Ahmed", "Schools liaison officer", B.POLICING, "police", "police",
      "Schools liaison officer", 20, line_manager="karen.holmes"),
    P("natasha.ward", "Natasha", "Ward", "Police community support officer", B.POLICING, "police",
      "police", "Police community support officer", 20, line_manager="karen.holmes"),
    P("daniel.osei", "Daniel", "Osei", "Youth inclusion and support panel coordinator",
      B.YOUTH_JUSTICE, "yot", "yot", "YOT case manager", 8),
    P("leanne.crossley", "Leanne", "Crossley", "YOT case manager", B.YOUTH_JUSTICE, "yot", "yot",
      "YOT case manager", 12, line_manager="daniel.osei"),
    P("adam.kaminski", "Adam", "Kaminski", "YOT case manager", B.YOUTH_JUSTICE, "yot", "yot",
      "YOT case manager", 12, line_manager="daniel.osei"),
    P("susan.tattersall", "Susan", "Tattersall", "Housing options team manager", B.HOUSING,
      "housing", "housing", "Housing officer", 10),
    P("bilal.iqbal", "Bilal", "Iqbal", "Housing officer", B.HOUSING, "housing", "housing",
      "Housing officer", 25, line_manager="susan.tattersall"),
    # Youth service.
    P("jordan.hinds", "Jordan", "Hinds", "Senior youth worker", B.YOUTH_WORK, "youth_service",
      "youth", "Youth worker", 25),
    P("ellie.stevens", "Ellie", "Stevens", "Detached youth worker", B.YOUTH_WORK, "youth_service",
      "youth", "Youth worker", 25, line_manager="jordan.hinds"),
    P("kieran.doyle", "Kieran", "Doyle", "Personal adviser", B.YOUTH_WORK, "youth_service",
      "connexions", "Personal adviser", 30, line_manager="jordan.hinds"),
    # The voluntary and community sector.
    P("bethany.mills", "Bethany", "Mills", "Young carers support worker", B.YOUTH_WORK,
      "young_carers", "young_carers", "Young carers support worker", 25),
    P("chidi.eze", "Chidi", "Eze", "Family support volunteer coordinator", B.FAMILY_SUPPORT,
      "bright_start", "bright_start", "Family support volunteer coordinator", 20),
    P("tariq.aziz", "Tariq", "Aziz", "Youth project worker", B.YOUTH_WORK, "lighthouse",
      "lighthouse", "Youth project worker", 25),
    P("sarah.lindo", "Sarah", "Lindo", "Counsellor", B.PSYCHOLOGY, "open_door", "open_door",
      "Counsellor", 20),
    P("fiona.mckenzie", "Fiona", "McKenzie", "Children and young people's domestic abuse worker",
      B.FAMILY_SUPPORT, "safe_haven", "safe_haven", "Children's domestic abuse worker", 15),
    P("hodan.warsame", "Hodan", "Warsame", "Family support worker", B.FAMILY_SUPPORT,
      "refugee_welcome", "refugee_welcome", "Family support worker", 15),
    # The system administrator manages accounts and has no home agency or children.
    P("admin", "Alex", "Morgan", "Systems administrator", B.ADMINISTRATION, None),
    # Brookfield's data manager sends the school's pupil records to Joined Up (feeds).
    P("datamanager", "Dana", "Holden", "School data manager", B.ADMINISTRATION, "brookfield",
      line_manager="sarah.whitworth", data_manager=True),
)
# fmt: on

ADMINISTRATOR = "admin"
DATA_MANAGER = "datamanager"


def data_manager_usernames() -> list[str]:
    """The agencies' data managers: they must use two-factor authentication."""
    return [spec.username for spec in PRACTITIONERS if spec.data_manager]


# Partnerships -------------------------------------------------------------------------


@dataclass(frozen=True)
class MembershipSpec:
    username: str
    role: MembershipRole = MembershipRole.MEMBER
    partnership_line_manager: str = ""
    started_on: date | None = None  # the partnership's start date when None
    ended_on: date | None = None


@dataclass(frozen=True)
class PartnershipSpec:
    name: str
    description: str
    government_model: GovernmentModel
    activity_model: ActivityModel
    base: str
    agencies: tuple[str, ...]
    started_on: date
    members: tuple[MembershipSpec, ...] = field(default_factory=tuple)


M = MembershipSpec
COORDINATOR = MembershipRole.COORDINATOR
MANAGER = MembershipRole.MANAGER
GOV = GovernmentModel
ACT = ActivityModel

# fmt: off
PARTNERSHIPS: tuple[PartnershipSpec, ...] = (
    PartnershipSpec(
        "Ashworth North Team Around the Child Panel",
        "Practitioners from schools, health, early help and the voluntary sector meet every "
        "fortnight to agree who supports each child referred to the panel, and to review plans.",
        GOV.PANEL, ACT.DECISION_MAKING_GROUP, "brookfield",
        ("brookfield", "st_annes", "health_visiting", "school_nursing", "early_help",
         "social_care", "childrens_centre", "bright_start"),
        date(2021, 1, 11),
        (M("coordinator", COORDINATOR), M("practitioner"), M("sarah.whitworth"),
         M("grace.adeyemi"), M("siobhan.kelly"), M("nadia.hussain"), M("chidi.eze"),
         M("dean.hargreaves"), M("kate.oconnor", ended_on=date(2023, 7, 21)),
         # Told at once of emergency (break-glass) access, and reviews it (issue 6).
         M("ruth.kershaw", MembershipRole.DATA_PROTECTION_LEAD)),
    ),
    PartnershipSpec(
        "Ashworth Youth Inclusion and Support Panel",
        "A panel for young people aged 8 to 17 at risk of offending: the coordinator brings "
        "youth justice, police, youth work, schools and mental health together around each "
        "young person and their family.",
        GOV.PANEL, ACT.COORDINATED, "youth_service",
        ("yot", "police", "youth_service", "social_care", "camhs", "ashworth_park",
         "castle_hill", "lighthouse", "housing"),
        date(2019, 4, 1),
        (M("daniel.osei", COORDINATOR), M("ryan.ahmed"), M("jordan.hinds"),
         M("leanne.crossley"), M("mei.chen"), M("imran.qureshi"), M("tariq.aziz"),
         M("bilal.iqbal"), M("kieran.doyle")),
    ),
    PartnershipSpec(
        "Ashworth Behaviour and Education Support Team",
        "A team of practitioners seconded from their home agencies, working from Ashworth Park "
        "Academy with pupils whose behaviour, attendance or wellbeing puts their education at "
        "risk, and with their families.",
        GOV.TEAM, ACT.OPERATIONAL_TEAM, "ashworth_park",
        ("behaviour_support", "ed_psych", "education_welfare", "school_nursing", "early_help",
         "social_care", "ashworth_park", "castle_hill", "greenbank"),
        date(2020, 9, 1),
        (M("natalie.harvey", COORDINATOR), M("sean.quinn"),
         M("omar.farah", partnership_line_manager="natalie.harvey"),
         M("gary.stott", partnership_line_manager="natalie.harvey"),
         M("liam.mccarthy", partnership_line_manager="natalie.harvey"),
         M("yasmin.malik", partnership_line_manager="natalie.harvey"),
         M("kwame.boateng", partnership_line_manager="natalie.harvey"),
         M("practitioner", started_on=date(2020, 9, 1), ended_on=date(2023, 8, 31))),
    ),
    PartnershipSpec(
        "Schools Mental Health Consultation Team",
        "Mental health specialists who advise and train school staff, so that schools can "
        "support pupils' mental health early and know when to refer to CAMHS.",
        GOV.TEAM, ACT.CONSULTATION_AND_TRAINING, "camhs",
        ("camhs", "ed_psych", "school_nursing", "open_door", "ashworth_park", "castle_hill",
         "greenbank"),
        date(2022, 1, 10),
        (M("farah.siddiqui", COORDINATOR), M("rhys.evans"), M("mei.chen"),
         M("rebecca.thornton"), M("sarah.lindo"), M("practitioner"), M("zofia.nowak")),
    ),
    PartnershipSpec(
        "Millbrook Children's Centre Partnership",
        "Health visiting, early years, speech and language therapy and family support working "
        "side by side at Millbrook Children's Centre for families with children under five.",
        GOV.INTEGRATED_SERVICE, ACT.CENTRE_BASED, "childrens_centre",
        ("childrens_centre", "health_visiting", "slt", "little_acorns", "early_help",
         "bright_start", "refugee_welcome"),
        date(2018, 4, 9),
        (M("joanne.price", COORDINATOR), M("helen.brierley", MANAGER), M("nadia.hussain"),
         M("kelly.marshall"), M("sophie.walsh", partnership_line_manager="joanne.price"),
         M("amara.okafor", partnership_line_manager="joanne.price"), M("laura.pickering"),
         M("michelle.holt"), M("hodan.warsame")),
    ),
    PartnershipSpec(
        "Brookfield Extended School Services",
        "Brookfield Community Primary School's extended services: breakfast and after-school "
        "clubs, parenting support, and health, speech and youth services on the school site, "
        "brought together by the extended services coordinator.",
        GOV.INTEGRATED_SERVICE, ACT.COORDINATED, "brookfield",
        ("brookfield", "school_nursing", "youth_service", "young_carers", "early_help", "slt"),
        date(2019, 9, 2),
        (M("ben.ashby", COORDINATOR), M("sarah.whitworth", MANAGER), M("aisha.rahman"),
         M("emma.clarke"), M("practitioner"), M("bethany.mills"), M("ellie.stevens"),
         M("laura.pickering")),
    ),
    PartnershipSpec(
        "Ashworth East Multi-Agency Locality Team",
        "Social workers, family support, health, housing and police working as one locality "
        "team for families in Hollins and Castle Hill, from the Early Help Service's office.",
        GOV.TEAM, ACT.OPERATIONAL_TEAM, "early_help",
        ("early_help", "social_care", "health_visiting", "school_nursing", "housing", "police",
         "hollins_lane", "greenbank", "oakfield"),
        date(2023, 4, 3),
        (M("mark.davies", COORDINATOR), M("coordinator", MANAGER),
         M("joanna.kowalski", partnership_line_manager="coordinator"), M("andre.francis"),
         M("dean.hargreaves", partnership_line_manager="mark.davies"),
         M("susan.tattersall"), M("natasha.ward"), M("claire.sutcliffe")),
    ),
)
# fmt: on


def coordinator_usernames() -> list[str]:
    """Everyone who coordinates a partnership now: they must use two-factor authentication."""
    return sorted(
        {
            member.username
            for partnership in PARTNERSHIPS
            for member in partnership.members
            if member.role == COORDINATOR and member.ended_on is None
        }
    )


# Planning an area of a given size ------------------------------------------------------


@dataclass(frozen=True)
class AreaPlan:
    """The agencies and localities of an area sized for a number of children."""

    localities: tuple[Locality, ...]
    agencies: tuple[AgencySpec, ...]

    def by_key(self) -> dict[str, AgencySpec]:
        return {agency.key: agency for agency in self.agencies}


def plan_area(children: int, rng: random.Random, street_roots: list[str]) -> AreaPlan:
    """Lay out the localities, streets and agencies for an area of ``children`` children."""
    used_names = {agency.name for agency in BASE_AGENCIES}
    places = _place_names(rng, exclude={*BASE_LOCALITIES, TOWN})
    locality_count = max(len(BASE_LOCALITIES), math.ceil(children / CHILDREN_PER_LOCALITY))
    names = list(BASE_LOCALITIES) + [
        next(places) for _ in range(locality_count - len(BASE_LOCALITIES))
    ]
    children_per_locality = children / locality_count
    street_names: dict[str, Iterator[str]] = {}
    localities = []
    for index, name in enumerate(names):
        town = TOWN if index < 8 else EXTRA_TOWNS[(index - 8) // 6 % len(EXTRA_TOWNS)]
        if town not in street_names:
            street_names[town] = _street_names(rng, street_roots)
        area = POSTCODE_AREAS[index // 99 % len(POSTCODE_AREAS)]
        district = f"{area}{index % 99 + 1}"
        streets = _streets(rng, street_names[town], district, children_per_locality)
        localities.append(Locality(index, name, town, district, streets))

    agencies = list(BASE_AGENCIES)
    school_age_share = 14 / 18  # Reception to Year 13
    primaries = math.ceil(children * (7 / 18) / PUPILS_PER_PRIMARY_SCHOOL)
    secondaries = math.ceil(children * (school_age_share - 7 / 18) / PUPILS_PER_SECONDARY_SCHOOL)
    practices = math.ceil(children / CHILDREN_PER_GP_PRACTICE)
    agencies += _extra_agencies(
        rng, "primary", primaries - 7, locality_count, used_names, start_number=2101
    )
    agencies += _extra_agencies(
        rng, "secondary", secondaries - 3, locality_count, used_names, start_number=4101
    )
    agencies += _extra_agencies(rng, "gp", practices - 5, locality_count, used_names)
    return AreaPlan(tuple(localities), tuple(agencies))


def _place_names(rng: random.Random, exclude: set[str]) -> Iterator[str]:
    names = [start + end for start, end in product(PLACE_STARTS, PLACE_ENDS)]
    rng.shuffle(names)
    return (name for name in names if name not in exclude)


def _street_names(rng: random.Random, roots: list[str]) -> Iterator[str]:
    """A town's street names in a random order (round again in a very large town)."""
    names = [f"{root} {kind}" for root, kind in product(roots, STREET_TYPES)]
    rng.shuffle(names)
    return itertools.cycle(names)


def _streets(
    rng: random.Random, names: Iterator[str], district: str, children: float
) -> tuple[Street, ...]:
    # About one child for every two or three houses, and a postcode for every fifteen houses.
    count = max(12, math.ceil(children / 40))
    postcodes = _postcodes(district)
    streets = []
    for name in itertools.islice(names, count):
        houses = rng.randint(12, 180)
        units = tuple(next(postcodes) for _ in range(max(1, houses // 15)))
        streets.append(Street(name, houses, units))
    return tuple(streets)


def _postcodes(district: str) -> Iterator[str]:
    """Every postcode in a district in turn: 9AB, 9AD… (4,000 in all; then round again)."""
    while True:
        for sector in range(1, 10):
            for first, second in product(INWARD_LETTERS, INWARD_LETTERS):
                yield f"{district} {sector}{first}{second}"


def _extra_agencies(
    rng: random.Random,
    kind: str,
    count: int,
    locality_count: int,
    used_names: set[str],
    start_number: int = 0,
) -> list[AgencySpec]:
    if count <= 0:
        return []
    candidates = [
        pattern.format(place)
        for place, pattern in product(
            (start + end for start, end in product(PLACE_STARTS, PLACE_ENDS)),
            EXTRA_NAME_PATTERNS[kind],
        )
    ]
    rng.shuffle(candidates)
    names = [name for name in candidates if name not in used_names][:count]
    if len(names) < count:
        raise ValueError(f"Too many {kind} agencies for the demo area's name lists ({count})")
    used_names.update(names)
    agencies = []
    for number, name in enumerate(names):
        key = f"{kind}_{number + 1}"
        locality = number % locality_count
        if kind == "gp":
            agencies.append(_agency(key, name, Sector.HEALTH, AgencyKind.GP_PRACTICE, locality))
            continue
        agencies.append(
            _school(
                key,
                name,
                SCHOOL,
                locality,
                PRIMARY if kind == "primary" else SECONDARY,
                start_number + number,
                sixth_form=kind == "secondary" and number % 2 == 0,
            )
        )
    return agencies
