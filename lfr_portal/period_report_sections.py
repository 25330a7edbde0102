"""A period's figures in the order and words the reports print them: pure, no queries.

The HTML pages, the PDF and the CSV all read these sections, so a figure has one label
everywhere. Input is the plain data of selectors.period_figures (exact, or `published`
with small counts of people suppressed); a value is an int, a float, a string such as
"fewer than 3", or None where a rate has nothing to divide by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import (
    ArrestCategory,
    ComplaintCategory,
    ComplaintOutcome,
    EntryCategory,
    EUPurpose,
    LaterOutcome,
    PerceivedEthnicity,
    PerceivedSex,
    UseCase,
)
from .selectors.engagement_figures import LABELS as ENGAGEMENT_LABELS
from .selectors.transparency import percent
from .stats import one_in

EU_PURPOSE_SHORT = {
    EUPurpose.VICTIM_SEARCH: "Search for victims or missing persons (Art. 5(1)(h)(i))",
    EUPurpose.THREAT_PREVENTION: "Preventing a threat to life or a terrorist attack "
    "(Art. 5(1)(h)(ii))",
    EUPurpose.SUSPECT_LOCALISATION: "Locating a suspect of a serious offence (Art. 5(1)(h)(iii))",
}


@dataclass(frozen=True)
class Row:
    label: str
    value: Any

    @property
    def display(self) -> str:
        value = self.value
        if value is None:
            return "—"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, int):
            return f"{value:,}"
        if isinstance(value, float):
            return f"{value:,.1f}"
        return str(value)


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    rows: list[Row]
    note: str = ""


def _choices(counts: dict[str, Any], choices: Any, prefix: str = "") -> list[Row]:
    """One row per choice, zeros included, in the choices' order."""
    return [Row(f"{prefix}{label}", counts.get(value, 0)) for value, label in choices]


def _rate(fraction: float | None) -> str | None:
    if fraction is None:
        return None
    return f"{percent(fraction)} ({one_in(fraction)})"


def _deployments(data: dict[str, Any]) -> Section:
    d = data["deployments"]
    return Section(
        "deployments",
        "Deployments",
        [
            Row("Deployments that went live", d["deployments"]),
            *_choices(d["by_use_case"], UseCase.choices, "Use: "),
            Row("Hours live", d["hours_live"]),
            Row("Stopped early", d["stopped_early"]),
            Row("Suspended for too many false alerts (deployments)", d["suspended"]),
            Row("Suspensions", d["suspensions"]),
        ],
        "A deployment counts in the period its authorised start falls in, if it went live.",
    )


def _alerts(data: dict[str, Any]) -> Section:
    a = data["alerts"]
    return Section(
        "alerts",
        "Faces processed and alerts",
        [
            Row("Faces processed", a["faces_processed"]),
            Row("Alerts", a["alerts"]),
            Row("Confirmed matches (by the operator)", a["confirmed_matches"]),
            Row("False alerts (by the operator)", a["false_alerts"]),
            Row("Not resolved", a["unresolved"]),
            Row("Awaiting adjudication", a["awaiting_adjudication"]),
            Row("False alerts per face processed", _rate(a["false_alerts_per_face"])),
            Row("False alerts per alert", _rate(a["false_alerts_per_alert"])),
        ],
        "Faces that did not match were discarded at once; only their count is kept.",
    )


def _arrests(data: dict[str, Any]) -> Section:
    e, later = data["engagement"], data["later_outcomes"]
    return Section(
        "arrests",
        "Arrests",
        [
            Row("Arrests recorded on alerts", data["alerts"]["arrests"]),
            Row("Arrests after engagement", e["arrests"]),
            *_choices(e["arrests_by_category"], ArrestCategory.choices, "Arrests: "),
            *_choices(later, LaterOutcome.choices, "Later outcome: "),
        ],
    )


def _false_alerts(data: dict[str, Any]) -> Section:
    e = data["engagement"]
    names = (
        "engagements",
        "confirmed_true",
        "confirmed_false",
        "not_located",
        "not_engaged",
        "misidentified_not_detained",
        "misidentified_under_5_minutes",
        "misidentified_longer",
    )
    return Section(
        "false_alerts",
        "False alerts and how they were handled",
        [
            Row("False alerts found by the operator (nobody sent)", data["alerts"]["false_alerts"]),
            *[Row(ENGAGEMENT_LABELS[name], e[name]) for name in names],
        ],
        "An operator's false alert sends nobody; a misidentification is a person engaged "
        "on the street who was not the person on the watchlist.",
    )


def _watchlists(data: dict[str, Any]) -> Section:
    w = data["watchlists"]
    return Section(
        "watchlists",
        "Watchlist composition and under-18s",
        [
            *_choices(w["by_category"], EntryCategory.choices, "Entries: "),
            Row("Entries in all", w["entries"]),
            Row("Entries of people under 18", w["under_18_entries"]),
            Row("Alerts on an entry of a person under 18", w["under_18_appearances"]),
        ],
        "Summed over the deployments' watchlists: a person on several lists counts on each.",
    )


def _people(data: dict[str, Any]) -> Section:
    return Section(
        "people_engaged",
        "People engaged, as the officer perceived them",
        [
            *_choices(data["perceived_sex"], PerceivedSex.choices, "Sex: "),
            *_choices(data["perceived_ethnicity"], PerceivedEthnicity.choices, "Ethnicity: "),
        ],
        "Officer-perceived, recorded for people engaged (confirmed or misidentified).",
    )


def _complaints(data: dict[str, Any]) -> Section:
    c = data["complaints"]
    return Section(
        "complaints",
        "Complaints",
        [
            Row("Complaints received", c["complaints"]),
            *_choices(c["by_category"], ComplaintCategory.choices, "About: "),
            *_choices(c["by_outcome"], ComplaintOutcome.choices, "Outcome: "),
        ],
        "Counted by the day each complaint was received.",
    )


def _reviews(data: dict[str, Any]) -> Section:
    r = data["reviews"]
    return Section(
        "reviews",
        "Post-deployment reviews",
        [
            Row("Deployments ended", r["ended"]),
            Row("Reviews opened", r["opened"]),
            Row("Signed off", r["signed_off"]),
            Row("Open", r["open"]),
            Row("Overdue", r["overdue"]),
            Row("Ended without a review opened", r["not_opened"]),
        ],
    )


def _eu(data: dict[str, Any]) -> Section:
    eu = data["eu"]
    return Section(
        "eu",
        "EU AI Act: authorisations and purposes",
        [
            Row("Authorisations requested", eu["requested"]),
            Row("Granted", eu["granted"]),
            Row("Refused", eu["refused"]),
            Row("Awaiting a decision", eu["awaiting_decision"]),
            Row("Used in urgency before the decision", eu["urgent"]),
            *[
                Row(f"Purpose: {label}", eu["by_purpose"].get(v, 0))
                for v, label in EU_PURPOSE_SHORT.items()
            ],
        ],
        "Art. 5(1)(h) purposes and the judicial or independent authority's decisions.",
    )


def report_sections(data: dict[str, Any]) -> list[Section]:
    """The annual report's sections, EU ones last where the figures carry them."""
    sections = [
        _deployments(data),
        _alerts(data),
        _arrests(data),
        _false_alerts(data),
        _watchlists(data),
        _people(data),
        _complaints(data),
        _reviews(data),
    ]
    if data.get("eu"):
        sections.append(_eu(data))
    return sections


def report_title(data: dict[str, Any], kind: str = "annual") -> str:
    label = data["period"]["label"]
    if kind == "oversight":
        return f"Live facial recognition: oversight pack, {label}"
    if data.get("eu"):
        return f"Live facial recognition: annual report and EU AI Act annual figures, {label}"
    return f"Live facial recognition: annual report, {label}"


def csv_rows(data: dict[str, Any]) -> list[list[Any]]:
    """section, figure, value: one line per figure, values as numbers where exact."""
    rows: list[list[Any]] = [["section", "figure", "value"]]
    for section in report_sections(data):
        rows += [
            [section.heading, row.label, "" if row.value is None else row.value]
            for row in section.rows
        ]
    return rows
