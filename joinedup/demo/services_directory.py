"""The demo area's services directory: about thirty services of Ashworth's agencies, with
varied needs, ages, areas and opening times. A few entries are stale (last checked long
ago) and one is full, so the "My services" page and the capacity tags have something to
show. Which entries are stale, the waiting times and the check dates come from the seed.

Everything here is data in the product's own words; ``create_demo_services`` writes it
through the directory's own service (joinedup.referrals.services.create_service).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.utils.text import slugify

from joinedup.accounts.models import Practitioner
from joinedup.demo import area
from joinedup.partnerships.models import Agency
from joinedup.referrals import services
from joinedup.referrals.models import Capacity, Cost, LevelOfNeed, Need, Offer, ReferralRoute

ALL = "all"  # every postcode district of the area

# Opening hours by pattern: (weekdays, opens, closes, note).
HOURS: dict[str, tuple[tuple[tuple[int, ...], str, str, str], ...]] = {
    "office": (((0, 1, 2, 3, 4), "09:00", "17:00", ""),),
    "office_early_friday": (((0, 1, 2, 3), "08:30", "17:00", ""), ((4,), "08:30", "16:30", "")),
    "school_day": (((0, 1, 2, 3, 4), "08:30", "15:30", "Term time"),),
    "clinic": (((0, 2, 4), "09:30", "12:00", "Drop-in clinic"),),
    "evenings": (((1, 3), "18:00", "20:30", ""),),
    "youth": (((0, 1, 2, 3, 4), "16:00", "21:00", ""), ((5,), "12:00", "17:00", "Saturday club")),
    "centre": (((0, 1, 2, 3, 4), "08:30", "17:30", ""), ((5,), "09:30", "12:30", "Stay and play")),
    "weekend_group": (((5,), "10:00", "12:00", "Group session"),),
    "helpline": (((0, 1, 2, 3, 4, 5, 6), "08:00", "22:00", "Phone line"),),
}

U, A, C, X = LevelOfNeed.UNIVERSAL, LevelOfNeed.ADDITIONAL, LevelOfNeed.COMPLEX, LevelOfNeed.ACUTE


@dataclass(frozen=True)
class DemoService:
    agency: str
    name: str
    description: str
    needs: tuple[str, ...]
    offers: tuple[Offer, ...]
    levels: tuple[LevelOfNeed, ...]
    ages: tuple[int, int]
    areas: str | tuple[int, ...]  # ALL, or locality numbers
    hours: str
    maintainers: tuple[str, ...] = ()
    route: str = ""  # a ReferralRoute, or "" for none outside Joined Up
    in_app: bool = False
    self_referral: bool = False
    criteria: str = ""
    languages: tuple[str, ...] = ()
    cost: Cost = Cost.FREE
    cost_note: str = ""
    stale: bool = False
    full: bool = False


D = DemoService
# fmt: off
SERVICES: tuple[DemoService, ...] = (
    D("slt", "Speech and language drop-in", "Bring your child to talk to a speech and language therapist about understanding, talking, stammering or late talking. No appointment needed.",
      ("speech-language-communication", "early-development"), (Offer.ADVICE, Offer.DROP_IN), (U, A), (0, 5), (1, 2, 3), "clinic",
      ("laura.pickering",), self_referral=True, languages=("Urdu", "Polish")),
    D("slt", "Speech and language therapy for school-age children", "Assessment and therapy for children whose speech, language or communication needs affect their learning or friendships; therapists also coach school staff.",
      ("speech-language-communication", "send"), (Offer.ASSESSMENT, Offer.ONE_TO_ONE, Offer.PRACTITIONER_CONSULTATION), (A, C), (4, 16), ALL, "office",
      ("laura.pickering",), route=ReferralRoute.EMAIL, in_app=True,
      criteria="Referrals from schools, health visitors and GPs, with parental consent and a summary of what has been tried in class."),
    D("camhs", "CAMHS getting help team", "Assessment and short-term therapy for children and young people with moderate mental health difficulties such as anxiety, low mood or self-harm.",
      ("emotional-wellbeing", "self-harm"), (Offer.ASSESSMENT, Offer.THERAPY, Offer.ONE_TO_ONE), (C, X), (5, 17), ALL, "office",
      ("mei.chen", "rhys.evans"), in_app=True,
      criteria="Referrals from GPs, school nurses and lead professionals. Urgent concerns about safety go to the duty line, not a referral.", full=True),
    D("camhs", "Schools mental health advice line", "Practitioners in schools can talk through a worry about a pupil's mental health with a CAMHS clinician and agree next steps.",
      ("emotional-wellbeing", "self-harm", "behaviour"), (Offer.PRACTITIONER_CONSULTATION, Offer.REMOTE), (U, A), (4, 18), ALL, "office_early_friday",
      ("mei.chen",), route=ReferralRoute.PHONE),
    D("health_visiting", "Baby clinic and health visitor drop-in", "Weigh your baby and ask a health visitor about feeding, sleep, development and how you are feeling.",
      ("physical-health", "early-development", "parenting-support", "parental-health"), (Offer.ADVICE, Offer.DROP_IN), (U,), (0, 4), (0, 1, 2), "clinic",
      ("helen.brierley",), self_referral=True, languages=("Bengali", "Urdu")),
    D("health_visiting", "Perinatal and infant mental health support", "Home visits from specialist health visitors for parents struggling with their mental health during pregnancy and the first two years.",
      ("parental-health", "emotional-wellbeing", "parenting-support"), (Offer.OUTREACH, Offer.ONE_TO_ONE), (A, C), (0, 2), ALL, "office",
      ("helen.brierley",), route=ReferralRoute.EMAIL, in_app=True, stale=True),
    D("school_nursing", "School nurse drop-in", "Confidential drop-in sessions in secondary schools for young people to talk about health, relationships, sexual health and feelings.",
      ("physical-health", "sexual-health", "emotional-wellbeing", "substance-misuse"), (Offer.DROP_IN, Offer.ADVICE, Offer.ONE_TO_ONE), (U, A), (11, 18), ALL, "school_day",
      ("claire.sutcliffe", "practitioner"), self_referral=True),
    D("school_nursing", "Healthy weight and continence clinic", "School nurses help families with bedwetting, toileting and healthy eating for primary-age children.",
      ("physical-health",), (Offer.ONE_TO_ONE, Offer.ADVICE), (U, A), (5, 11), ALL, "clinic",
      ("practitioner",), route=ReferralRoute.PHONE, self_referral=True),
    D("childrens_centre", "Stay and play", "Free sessions for parents and carers with babies and young children to play, meet other families and get advice from early years staff.",
      ("early-development", "parenting-support", "positive-activities"), (Offer.GROUP_WORK, Offer.DROP_IN), (U,), (0, 4), (1, 2, 3), "centre",
      ("joanne.price", "kelly.marshall"), self_referral=True, languages=("Urdu", "Arabic")),
    D("childrens_centre", "Family worker support at home", "A family worker visits regularly to help with routines, behaviour, housing or money worries and links the family to other services.",
      ("parenting-support", "behaviour", "financial-hardship", "neglect"), (Offer.OUTREACH, Offer.ONE_TO_ONE, Offer.PRACTICAL), (A,), (0, 5), (1, 2, 3), "office",
      ("nadia.hussain",), in_app=True, criteria="Families with a child under five in Brookfield, Millbrook or Hollins who agree to the referral."),
    D("little_acorns", "Funded early education places", "Nursery places for two-, three- and four-year-olds, including funded places for eligible two-year-olds.",
      ("early-development", "financial-hardship"), (Offer.PRACTICAL,), (U,), (2, 4), (1,), "school_day",
      ("michelle.holt",), route=ReferralRoute.PHONE, self_referral=True, cost=Cost.CHARGE,
      cost_note="Free for funded hours; extra hours are charged", stale=True),
    D("early_help", "Early help family support", "A family support worker and a plan agreed with the family, for needs that one service alone cannot meet.",
      ("parenting-support", "family-relationships", "school-attendance", "behaviour", "domestic-abuse"), (Offer.ONE_TO_ONE, Offer.OUTREACH, Offer.PRACTICAL), (A, C), (0, 17), ALL, "office",
      ("coordinator", "dean.hargreaves"), in_app=True,
      criteria="An early help assessment or a request for support agreed with the family."),
    D("early_help", "Parenting programme for parents of teenagers", "A ten-week group for parents and carers of 11 to 17 year olds: communication, boundaries and staying calm.",
      ("parenting-support", "family-relationships", "behaviour"), (Offer.GROUP_WORK,), (U, A), (11, 17), ALL, "evenings",
      ("dean.hargreaves",), route=ReferralRoute.WEB_FORM, self_referral=True),
    D("ed_psych", "Educational psychology consultation", "Consultation with school staff and parents about a child's learning, development or wellbeing, and statutory advice for education, health and care needs assessments.",
      ("learning", "send", "emotional-wellbeing"), (Offer.ASSESSMENT, Offer.PRACTITIONER_CONSULTATION), (A, C), (0, 25), ALL, "office",
      ("rebecca.thornton",), route=ReferralRoute.EMAIL, criteria="Through the school's special educational needs coordinator."),
    D("education_welfare", "Attendance support", "Education welfare officers work with families and schools when a child is missing school, to find out why and agree a plan.",
      ("school-attendance",), (Offer.OUTREACH, Offer.ONE_TO_ONE), (A, C), (5, 16), ALL, "office",
      ("gary.stott",), in_app=True, criteria="Attendance below 90% after the school's own support has been tried."),
    D("behaviour_support", "Behaviour support in school", "Specialist teachers advise schools and work with pupils whose behaviour puts their place in school at risk.",
      ("behaviour", "school-attendance", "emotional-wellbeing"), (Offer.ONE_TO_ONE, Offer.PRACTITIONER_CONSULTATION), (A, C), (5, 16), ALL, "school_day",
      ("natalie.harvey",), route=ReferralRoute.EMAIL, stale=True),
    D("social_care", "Children's social care front door", "Where to take a concern that a child is suffering, or likely to suffer, significant harm. If a child is in immediate danger, call 999.",
      ("neglect", "domestic-abuse", "exploitation"), (Offer.ASSESSMENT,), (X,), (0, 17), ALL, "helpline",
      ("siobhan.kelly",), route=ReferralRoute.PHONE,
      criteria="Any concern about significant harm. Outside these hours call the emergency duty team."),
    D("police", "Schools liaison officer", "A police officer who works with schools on online safety, anti-social behaviour and keeping safe, and talks with young people at risk of getting into trouble.",
      ("offending", "online-safety", "exploitation", "bullying"), (Offer.ADVICE, Offer.GROUP_WORK, Offer.ONE_TO_ONE), (U, A), (8, 17), ALL, "school_day",
      ("ryan.ahmed",), route=ReferralRoute.EMAIL),
    D("yot", "Youth inclusion and support panel", "A voluntary programme for 8 to 17 year olds at risk of offending: a key worker, activities and support for the family.",
      ("offending", "exploitation", "behaviour"), (Offer.ONE_TO_ONE, Offer.OUTREACH, Offer.GROUP_WORK), (A, C), (8, 17), ALL, "office",
      ("daniel.osei",), in_app=True),
    D("housing", "Housing options for families", "Advice for families who are homeless or at risk of losing their home, and help with repairs, overcrowding and moves.",
      ("housing", "financial-hardship"), (Offer.ADVICE, Offer.PRACTICAL), (U, A, C), (0, 17), ALL, "office",
      ("bilal.iqbal",), route=ReferralRoute.PHONE, self_referral=True, languages=("Polish", "Romanian")),
    D("youth_service", "Youth clubs", "Open-access youth clubs with sport, music, cooking and trips, run by youth workers in three neighbourhoods.",
      ("positive-activities", "emotional-wellbeing"), (Offer.GROUP_WORK, Offer.DROP_IN), (U,), (11, 19), (0, 3, 4), "youth",
      ("jordan.hinds", "ellie.stevens"), self_referral=True),
    D("youth_service", "Careers and next steps advice", "Personal advisers help young people stay in learning after 16, find apprenticeships and apply for jobs.",
      ("education-employment-training",), (Offer.ADVICE, Offer.ONE_TO_ONE), (U, A), (13, 19), ALL, "office",
      ("kieran.doyle",), route=ReferralRoute.EMAIL, self_referral=True),
    D("youth_service", "Girls' group", "A weekly group for girls aged 11 to 16 to build confidence and talk about friendships, relationships and staying safe online.",
      ("emotional-wellbeing", "online-safety", "positive-activities"), (Offer.GROUP_WORK, Offer.PARTICULAR_GENDER), (U, A), (11, 16), (3, 4), "evenings",
      ("ellie.stevens",), route=ReferralRoute.EMAIL, self_referral=True),
    D("young_carers", "Young carers support", "Breaks, activities and one-to-one support for children and young people who look after someone at home, and a young carers card for school.",
      ("young-carers", "emotional-wellbeing", "positive-activities"), (Offer.ONE_TO_ONE, Offer.GROUP_WORK), (A,), (8, 18), ALL, "weekend_group",
      ("bethany.mills",), route=ReferralRoute.WEB_FORM, self_referral=True, in_app=True),
    D("bright_start", "Family friends volunteer visiting", "Trained volunteers visit families with young children once a week to offer friendship, practical help and a listening ear.",
      ("parenting-support", "parental-health", "financial-hardship"), (Offer.OUTREACH, Offer.PRACTICAL), (U, A), (0, 10), (1, 2), "office",
      ("chidi.eze",), route=ReferralRoute.EMAIL, self_referral=True, stale=True),
    D("lighthouse", "Lighthouse mentoring", "Youth workers mentor young people who are struggling at school or at risk of exploitation, meeting where the young person feels safe.",
      ("exploitation", "school-attendance", "offending", "emotional-wellbeing"), (Offer.ONE_TO_ONE, Offer.OUTREACH), (A, C), (11, 18), (3, 4), "youth",
      ("tariq.aziz",), in_app=True),
    D("open_door", "Counselling for young people", "Free, confidential counselling for 11 to 25 year olds, in person or by video call.",
      ("emotional-wellbeing", "bereavement", "self-harm", "family-relationships"), (Offer.THERAPY, Offer.ONE_TO_ONE, Offer.REMOTE), (A, C), (11, 25), ALL, "office",
      ("sarah.lindo",), route=ReferralRoute.WEB_FORM, self_referral=True),
    D("open_door", "Bereavement support group", "A group for children and young people who have lost someone close, with activities to remember them and talk about feelings.",
      ("bereavement",), (Offer.GROUP_WORK,), (A,), (7, 16), ALL, "weekend_group",
      ("sarah.lindo",), route=ReferralRoute.EMAIL, self_referral=True),
    D("safe_haven", "Children's domestic abuse recovery", "One-to-one and group work for children who have lived with domestic abuse, and support for the parent who was harmed.",
      ("domestic-abuse", "emotional-wellbeing", "family-relationships"), (Offer.ONE_TO_ONE, Offer.GROUP_WORK, Offer.PARTICULAR_GENDER), (A, C), (4, 17), ALL, "office",
      ("fiona.mckenzie",), route=ReferralRoute.PHONE, self_referral=True, languages=("Urdu", "Punjabi")),
    D("refugee_welcome", "New arrivals family support", "Help for refugee and migrant families to settle: school places, registering with a GP, benefits, English classes and interpreting.",
      ("new-arrivals", "financial-hardship", "housing"), (Offer.PRACTICAL, Offer.INTERPRETATION, Offer.PARTICULAR_COMMUNITY, Offer.ADVICE), (U, A), (0, 18), ALL, "office",
      ("hodan.warsame",), route=ReferralRoute.EMAIL, self_referral=True, languages=("Arabic", "Somali", "Dari", "Ukrainian")),
    D("brookfield", "Brookfield breakfast and after-school club", "A safe, fun start and end to the school day, with a healthy breakfast.",
      ("positive-activities", "financial-hardship"), (Offer.PRACTICAL, Offer.GROUP_WORK), (U,), (4, 11), (1,), "school_day",
      ("ben.ashby",), route=ReferralRoute.PHONE, self_referral=True, cost=Cost.CHARGE,
      cost_note="£2 a session; free for pupils eligible for free school meals"),
    D("ashworth_park", "Ashworth Park learning mentors", "Learning mentors support pupils whose attendance, behaviour or wellbeing is getting in the way of their learning.",
      ("school-attendance", "behaviour", "learning", "bullying"), (Offer.ONE_TO_ONE, Offer.GROUP_WORK), (A,), (11, 18), (0,), "school_day",
      ("paul.greenwood",), in_app=True),
)
# fmt: on


def _checked_on(rng: random.Random, today: date, stale: bool, stale_after_days: int) -> date:
    if stale:
        return today - timedelta(days=stale_after_days + rng.randint(20, 300))
    return today - timedelta(days=rng.randint(0, max(1, stale_after_days - 30)))


def create_demo_services(
    *,
    rng: random.Random,
    agency_ids: dict[str, int],
    practitioner_ids: dict[str, int],
    districts: Sequence[str],
    today: date,
    stale_after_days: int,
) -> int:
    """Write the demo directory; returns how many services it holds."""
    agencies = Agency.objects.in_bulk([agency_ids[spec.agency] for spec in SERVICES])
    usernames = {name for spec in SERVICES for name in spec.maintainers}
    people = Practitioner.objects.in_bulk([practitioner_ids[name] for name in usernames])
    needs = {need.code: need for need in Need.objects.all()}
    for number, spec in enumerate(SERVICES):
        agency = agencies[agency_ids[spec.agency]]
        maintainers = [people[practitioner_ids[name]] for name in spec.maintainers]
        contact = maintainers[0] if maintainers else None
        slug = slugify(spec.name)
        address = {
            "email": f"referrals@{slug}.{area.EMAIL_DOMAIN}",
            "phone": f"{area.PHONE_PREFIX}{(number * 7) % 500:03d}",
            "web_form": f"https://{slug}.{area.EMAIL_DOMAIN}/refer",
        }.get(spec.route, "")
        slots = [
            services.OpeningTime(day, time.fromisoformat(opens), time.fromisoformat(closes), note)
            for days, opens, closes, note in HOURS[spec.hours]
            for day in days
        ]
        all_areas = not isinstance(spec.areas, tuple)
        served = [] if not isinstance(spec.areas, tuple) else [districts[i] for i in spec.areas]
        fields = {
            "name": spec.name,
            "description": spec.description,
            "age_from": spec.ages[0],
            "age_to": spec.ages[1],
            "serves_all_districts": all_areas,
            "referral_criteria": spec.criteria,
            "accepts_referrals_in_app": spec.in_app,
            "how_to_refer_outside": spec.route,
            "referral_address": address,
            "accepts_self_referrals": spec.self_referral,
            "contact_name": contact.get_full_name() if contact else "",
            "contact_role": contact.job_title if contact else "",
            "contact_email": contact.email if contact else "",
            "contact_phone": contact.phone if contact else "",
            "address_line_1": agency.address_line_1,
            "address_line_2": agency.address_line_2,
            "town": agency.town,
            "postcode": agency.postcode,
            "languages": list(spec.languages),
            "cost": spec.cost,
            "cost_note": spec.cost_note,
            "capacity": Capacity.FULL
            if spec.full
            else rng.choice([Capacity.TAKING_REFERRALS] * 4 + [Capacity.LIMITED]),
            "waiting_weeks": 14 if spec.full else rng.choice([None, 0, 1, 2, 3, 4, 6, 8]),
        }
        if spec.ages[1] <= 5:
            fields["decide_within_working_days"] = 5
        services.create_service(
            agency=agency,
            details=services.ServiceDetails(
                fields=fields,
                needs=[needs[code] for code in spec.needs],
                offers=list(spec.offers),
                levels=list(spec.levels),
                districts=served,
                opening_times=slots,
                maintainers=maintainers,
            ),
            created_by=maintainers[0],
            slug=slug,
            today=_checked_on(rng, today, spec.stale, stale_after_days),
        )
    return len(SERVICES)
