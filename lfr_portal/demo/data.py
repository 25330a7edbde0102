"""The demo's fixed inputs: invented officers, public places, purposes and rates.

Everything is invented or public: no one's address, name or photograph.
"""

import uuid

from ..models import EntryCategory, Rank, Role

SEED = 16
# Public ids derive from this namespace and the seed, so a second run finds the first.
NAMESPACE = uuid.UUID("5b0f3c1e-2d8a-4f55-9a3c-6d1b8e0f7a21")
SEEDED_NOTE = "demo history (seed_demo)"
ENGINE = "opencv-sface"
EMBEDDING_DIMENSIONS = 128  # SFace's embedding size

# Scaled from the Met's 2024-25 year (GOVERNANCE.md): 3,147,436 faces, 2,077 alerts,
# 10 false alerts and 962 arrests over 203 deployments.
FACES_PER_DEPLOYMENT = 3_147_436 / 203
ALERTS_PER_FACE = 2_077 / 3_147_436
ARREST_SHARE_OF_CONFIRMED = 962 / (2_077 - 10)
FALSE_ALERTS = 3
PAST_COMPLETED = 48

# (username, first name, last name, role, rank): invented officers.
OFFICERS = [
    ("supt.adebayo", "Grace", "Adebayo", Role.AUTHORISING_OFFICER, Rank.SUPERINTENDENT),
    ("supt.mcallister", "Ewan", "McAllister", Role.AUTHORISING_OFFICER, Rank.CHIEF_SUPERINTENDENT),
    ("supt.kaur", "Harpreet", "Kaur", Role.AUTHORISING_OFFICER, Rank.SUPERINTENDENT),
    ("insp.doyle", "Niamh", "Doyle", Role.DEPLOYMENT_PLANNER, Rank.INSPECTOR),
    ("insp.osei", "Kwame", "Osei", Role.DEPLOYMENT_PLANNER, Rank.INSPECTOR),
    ("ci.barker", "Tom", "Barker", Role.DEPLOYMENT_PLANNER, Rank.CHIEF_INSPECTOR),
    ("sgt.fairweather", "Lucy", "Fairweather", Role.WATCHLIST_MANAGER, Rank.SERGEANT),
    ("sgt.rahman", "Imran", "Rahman", Role.WATCHLIST_MANAGER, Rank.SERGEANT),
    ("sgt.kowalski", "Anna", "Kowalski", Role.WATCHLIST_MANAGER, Rank.SERGEANT),
    ("pc.hughes", "Owen", "Hughes", Role.OPERATOR, Rank.CONSTABLE),
    ("pc.mensah", "Abena", "Mensah", Role.OPERATOR, Rank.CONSTABLE),
    ("pc.lindqvist", "Erik", "Lindqvist", Role.OPERATOR, Rank.CONSTABLE),
    ("pc.bhatt", "Ravi", "Bhatt", Role.OPERATOR, Rank.CONSTABLE),
    ("pc.obrien", "Siobhan", "O'Brien", Role.FIELD_OFFICER, Rank.CONSTABLE),
    ("pc.tran", "Minh", "Tran", Role.FIELD_OFFICER, Rank.CONSTABLE),
    ("pc.walsh", "Declan", "Walsh", Role.FIELD_OFFICER, Rank.CONSTABLE),
]

# Two cameras on each of three vans; .invalid never resolves, so nothing is reachable.
CAMERAS = [
    (f"LFR van {van} camera {side}", f"rtsp://lfr-van{van}-{side.lower()}.invalid/stream1")
    for van in (1, 2, 3)
    for side in ("A", "B")
]

# (borough, place, latitude, longitude, weight): public places, no one's address.
PLACES = [
    ("Westminster", "Oxford Street, outside Bond Street station", 51.5142, -0.1494, 3),
    ("Westminster", "Leicester Square, north side", 51.5106, -0.1301, 3),
    ("Westminster", "Victoria station forecourt", 51.4952, -0.1441, 2),
    ("Croydon", "North End, by West Croydon station", 51.3782, -0.1028, 4),
    ("Croydon", "George Street, outside East Croydon station", 51.3753, -0.0927, 2),
    ("Camden", "Camden High Street, by the Underground station", 51.5393, -0.1427, 3),
    ("Camden", "Euston Road, outside King's Cross station", 51.5308, -0.1238, 2),
    ("Hackney", "Mare Street, by Hackney Central station", 51.5466, -0.0562, 3),
    ("Hackney", "Kingsland High Street, Dalston", 51.5481, -0.0756, 2),
    ("Lewisham", "Lewisham High Street, by the clock tower", 51.4627, -0.0115, 3),
    ("Lewisham", "Catford Broadway", 51.4449, -0.0206, 2),
    ("Newham", "Stratford Broadway", 51.5419, -0.0027, 4),
    ("Newham", "East Ham High Street North", 51.5390, 0.0510, 2),
    ("Islington", "Holloway Road, Nag's Head", 51.5562, -0.1182, 3),
    ("Islington", "Upper Street, by Angel station", 51.5322, -0.1057, 2),
    ("Southwark", "Walworth Road, Elephant and Castle", 51.4943, -0.0996, 2),
    ("Lambeth", "Brixton Road, by the Underground station", 51.4625, -0.1145, 2),
]

# Where the deployments that follow a crowd take place (by the start of the place's name).
PLACES_FOR = {
    "Match day": ("Stratford Broadway",),
    "Festival crowds": ("Leicester Square", "Camden High Street", "Kingsland High Street"),
    "Protective security": ("Victoria station", "Leicester Square", "Oxford Street"),
}

HOTSPOT_PURPOSES = [
    (
        "Robbery hotspot",
        "Locate people wanted for robbery and knife-point street robbery in the area.",
        "Street robbery here is up by a third on the same quarter last year; patrols, "
        "CCTV review and warrant visits have not located the wanted people. A short, "
        "signed deployment at the busiest hours is the least intrusive step left.",
    ),
    (
        "Violence and knife crime",
        "Locate people wanted for serious violence and possession of bladed articles.",
        "Knife-related violence has risen in this area over three months; the named "
        "suspects frequent the high street. Targeted stops have not found them, and a "
        "deployment of a few hours with signs and leaflets is proportionate.",
    ),
    (
        "Night-time economy",
        "Locate people wanted for violence and sexual offences in the night-time economy.",
        "Violence against women and girls and assaults around licensed premises are "
        "concentrated on Friday and Saturday evenings; officers on foot cannot check "
        "faces at this footfall. The window covers the busiest hours only.",
    ),
    (
        "Shoplifting and theft",
        "Locate people wanted for prolific shoplifting and theft from the person.",
        "Retailers report repeat offenders wanted on warrant; the watchlist holds only "
        "those wanted by the courts or suspected of recent offences in this area.",
    ),
]
EVENT_PURPOSES = [
    (
        "Match day",
        "Locate people wanted for violence or under banning orders on a match day.",
        "Large crowds and recorded disorder at recent fixtures; a short window before "
        "kick-off with signs at every approach is the least intrusive way to find them.",
    ),
    (
        "Festival crowds",
        "Locate people wanted for violence and theft at a large public event.",
        "A crowd of tens of thousands makes conventional identification impractical; "
        "the deployment covers the main approach only, during the event's hours.",
    ),
]
PROTECTIVE_PURPOSE = (
    "Protective security",
    "Locate people who pose a risk to the public at a major commemoration.",
    "A heightened threat assessment for the event; the watchlist holds only people "
    "assessed as posing a risk of serious harm, and the window covers the event alone.",
)
MISSING_PURPOSE = (
    "Missing person search",
    "Find a high-risk missing person last seen in the area.",
    "The person is assessed as at high risk of harm; house-to-house and CCTV enquiries "
    "have not found them, and they are known to visit this area.",
)

REJECTION_REASONS = [
    "The justification does not show why less intrusive tactics would not work, and the "
    "crime figures cited are a year old. Resubmit with the current quarter's figures.",
    "A 600 m radius is too large for the stated hotspot; resubmit covering the two "
    "junctions named in the problem profile only.",
    "The equality impact assessment does not address the expected crowd at this event. "
    "Resubmit once it has been reviewed.",
]
CANCELLATION_REASONS = [
    "The event was postponed by its organisers.",
    "The wanted people named in the problem profile were arrested before the date.",
    "Officers redeployed to a critical incident elsewhere in the borough.",
]
OTHER_OUTCOMES = [
    "Safeguarding referral made; no offence.",
    "Voluntary interview arranged at the station.",
    "Postal requisition issued.",
    "Already dealt with by the court; record updated.",
]
MISSING_OUTCOMES = [
    "Found safe; taken home to family.",
    "Found safe; handed to carers with a safeguarding referral.",
]
ENTRY_DETAILS = {
    EntryCategory.WANTED: (
        "Wanted on warrant for failing to appear (robbery).",
        "Warrant issued by the magistrates' court",
        "Custody record",
    ),
    EntryCategory.SUSPECT: (
        "Suspected of street robbery under investigation.",
        "Reasonable grounds to suspect an offence (PACE 1984, s.24)",
        "Custody record",
    ),
    EntryCategory.MISSING_OR_VULNERABLE: (
        "High-risk missing person.",
        "Duty to protect life (Article 2 ECHR)",
        "Supplied by family for the missing person enquiry",
    ),
    EntryCategory.RISK: (
        "Assessed as posing a risk of serious harm to others.",
        "Duty to protect life (Article 2 ECHR); MAPPA risk assessment",
        "Custody record",
    ),
}
