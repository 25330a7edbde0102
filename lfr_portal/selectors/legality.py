"""The legality case (Bridges v South Wales Police, 2020): "where" and "who", written once.

The Court of Appeal found too much left to officers' discretion on where LFR may be used
and who may be put on a watchlist. Approval reads the "where" rules through
selectors.readiness; the watchlist services refuse by the "who" rules; the pages show the
entry flags and the approval warnings.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ..models import Deployment, EntryCategory, EntryStatus, Watchlist, WatchlistEntry
from .problems import Problem

# The "where" case: each field and the sentence naming what is missing.
GROUNDS_FIELDS = (
    (
        "grounds_references",
        "The 'where' case does not record the intelligence or crime references that point "
        "to this place and time.",
    ),
    (
        "grounds_crime_figures",
        "The 'where' case does not state the crime problem at this place in figures.",
    ),
    (
        "grounds_alternatives",
        "The 'where' case does not record the alternatives considered and why they are not enough.",
    ),
    (
        "why_here_summary",
        "The 'where' case has no plain-language summary of why here, for the public page.",
    ),
)
# The longest a plain-language summary may be (the model's validator says the same).
WHY_HERE_MAX = 1000
# A client's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=1)


def grounds_problems(deployment: Deployment) -> list[Problem]:
    """What the "where" case lacks; approval is refused until it is whole."""
    problems = [
        Problem(f"{name}_missing", message, field=name)
        for name, message in GROUNDS_FIELDS
        if not (getattr(deployment, name) or "").strip()
    ]
    if len(deployment.why_here_summary or "") > WHY_HERE_MAX:
        problems.append(
            Problem(
                "why_here_summary_too_long",
                f"The plain-language summary of why here is longer than {WHY_HERE_MAX} characters.",
                field="why_here_summary",
            )
        )
    return problems


# --- who --------------------------------------------------------------------------------


def suspect_offence_problem(category: str, years: int | None) -> Problem | None:
    """A "suspected of an offence" entry must name a serious enough offence."""
    if category != EntryCategory.SUSPECT:
        return None
    least = settings.LFR_SUSPECT_OFFENCE_MIN_YEARS
    if years is None:
        return Problem(
            "offence_years_missing",
            "A 'suspected of an offence' entry must state the maximum custodial sentence "
            f"the offence carries, in years; it must be at least {least}.",
            field="offence_max_sentence_years",
        )
    if years < least:
        return Problem(
            "offence_too_minor",
            "A 'suspected of an offence' entry needs an offence carrying a maximum custodial "
            f"sentence of at least {least} years; this one carries {years}.",
            field="offence_max_sentence_years",
        )
    return None


@dataclass(frozen=True)
class EntryFlag:
    """Something about an entry the decider should check; it refuses nothing."""

    code: str
    message: str


def flag_cutoffs(now: datetime) -> tuple[datetime, date]:
    """Entries added before the first, or whose image predates the second, are flagged."""
    added_before = now - timedelta(days=settings.LFR_ENTRY_MAX_AGE_DAYS)
    image_before = timezone.localdate(now) - timedelta(days=settings.LFR_ENTRY_IMAGE_MAX_AGE_DAYS)
    return added_before, image_before


def entry_flags(entry: WatchlistEntry, *, now: datetime | None = None) -> list[EntryFlag]:
    """The entry's flags: added too long ago, or an image too old."""
    now = now or timezone.now()
    added_before, image_before = flag_cutoffs(now)
    flags = []
    if entry.created_at < added_before:
        days = (now - entry.created_at).days
        flags.append(
            EntryFlag(
                "entry_old",
                f"Added {days} days ago, more than {settings.LFR_ENTRY_MAX_AGE_DAYS}: check the "
                "person is still sought.",
            )
        )
    if entry.image_date < image_before:
        flags.append(
            EntryFlag(
                "image_old",
                f"The image dates from {entry.image_date:%d %b %Y}, more than "
                f"{settings.LFR_ENTRY_IMAGE_MAX_AGE_DAYS} days ago: a recent image is needed.",
            )
        )
    return flags


def with_flags(entries: list[WatchlistEntry]) -> list[WatchlistEntry]:
    """The entries, each with its flags as `flags` (no query)."""
    now = timezone.now()
    for entry in entries:
        entry.flags = entry_flags(entry, now=now)  # type: ignore[attr-defined]
    return entries


def watchlist_warnings(watchlist: Watchlist | None) -> list[Problem]:
    """How many live entries carry each flag, as warnings for whoever authorises."""
    if watchlist is None:
        return []
    added_before, image_before = flag_cutoffs(timezone.now())
    live = watchlist.entries.filter(status__in=(EntryStatus.PENDING, EntryStatus.APPROVED))
    old = live.filter(created_at__lt=added_before).count()
    stale = live.filter(image_date__lt=image_before).count()
    warnings = []
    if old:
        warnings.append(
            Problem(
                "watchlist_entries_old",
                f"{old} watchlist entr{'y was' if old == 1 else 'ies were'} added more than "
                f"{settings.LFR_ENTRY_MAX_AGE_DAYS} days ago; check each is still sought.",
                severity="warning",
            )
        )
    if stale:
        warnings.append(
            Problem(
                "watchlist_images_old",
                f"{stale} watchlist entr{'y has' if stale == 1 else 'ies have'} an image more "
                f"than {settings.LFR_ENTRY_IMAGE_MAX_AGE_DAYS} days old.",
                severity="warning",
            )
        )
    return warnings


def approval_warnings(deployment: Deployment) -> list[Problem]:
    """What the authorising officer should weigh but that does not block approval."""
    return watchlist_warnings(getattr(deployment, "watchlist", None))


def still_wanted_problem(as_of: datetime | None, *, now: datetime) -> Problem | None:
    """The "still wanted as of" confirmation given at finalisation must be recent."""
    field = "still_wanted_as_of"
    if as_of is None:
        return Problem(
            "still_wanted_missing",
            "Finalising needs the time as of which every entry is confirmed still wanted, "
            "still missing or still a risk.",
            field=field,
        )
    if as_of > now + CLOCK_SKEW:
        return Problem(
            "still_wanted_future",
            "The 'still wanted as of' time cannot be in the future.",
            field=field,
        )
    oldest = now - settings.LFR_WATCHLIST_FINALISE_MAX_AGE
    if as_of < oldest:
        hours = f"{settings.LFR_WATCHLIST_FINALISE_MAX_AGE.total_seconds() / 3600:g}"
        return Problem(
            "still_wanted_stale",
            f"The confirmation that every entry is still wanted must be as of the last {hours} "
            f"hours; {timezone.localtime(as_of):%d %b %Y %H:%M} is too long ago. Check the "
            "entries again and confirm as of now.",
            field=field,
        )
    return None
