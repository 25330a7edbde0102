"""The demo's legality case: why each deployment is where it is, and how serious the
offences of its "suspected of an offence" entries are. Derived from the deployment's
purpose and place, with no random draws, so the rest of the demo reads the same numbers."""

from django.conf import settings

from ..models import EntryCategory

# Street robbery carries life imprisonment (Theft Act 1968, s.8): recorded as 99.
SUSPECT_OFFENCE_YEARS = 99

# Per purpose label: what the intelligence points to, and what was tried before.
_GROUNDS = {
    "Robbery hotspot": ("street robberies", "Patrols, CCTV review and warrant visits"),
    "Violence and knife crime": (
        "knife-related violent offences",
        "Targeted stops and weapon sweeps",
    ),
    "Night-time economy": (
        "assaults and sexual offences near licensed premises",
        "Extra foot patrols and licensing checks",
    ),
    "Shoplifting and theft": (
        "thefts and shoplifting offences",
        "Retail radio and store detectives",
    ),
    "Match day": ("disorder and violence offences on match days", "Stewarding and spotters"),
    "Festival crowds": ("violence and theft offences at past events", "Stewarding and CCTV"),
    "Protective security": ("threat reports for the event", "Searches and cordons"),
    "Missing person search": ("sightings of the missing person", "House-to-house and CCTV"),
}


def where_case(label: str, place: str, number: int) -> dict[str, str]:
    """The four "where" fields for a deployment of that purpose at that place."""
    crimes, tried = _GROUNDS.get(label, _GROUNDS["Robbery hotspot"])
    street = place.split(",")[0]
    count = 18 + (number * 7) % 40
    return {
        "grounds_references": (
            f"Problem profile PP-{number:04d}; intelligence reports IR-{number:04d}-1 and "
            f"IR-{number:04d}-2 place wanted people at {street}."
        ),
        "grounds_crime_figures": (
            f"{count} recorded {crimes} within 300 m of {street} in the last 90 days "
            "(force crime recording system)."
        ),
        "grounds_alternatives": (
            f"{tried} for the past six weeks have not located the people sought; a short, "
            "signed deployment is the least intrusive step left."
        ),
        "why_here_summary": (
            f"Police records show {count} {crimes} near {street} in the last three months, and "
            "people wanted for them are known to come here. Other tactics have not found them."
        ),
    }


def offence_years(category: str) -> int | None:
    """The maximum sentence recorded for a demo entry: only suspects must state it, and
    in EU mode the wanted too, whom suspect localisation allows only for an Annex II
    offence."""
    stated = [EntryCategory.SUSPECT]
    if settings.LFR_EU_AI_ACT_MODE:
        stated.append(EntryCategory.WANTED)
    return SUSPECT_OFFENCE_YEARS if category in stated else None
