"""The audit trail page for its users: newest first, choices instead of free text, readable
labels, short hashes with a copy button, and clear messages for filters it cannot use."""

import re

import pytest

from lfr_portal.models import AuditEvent
from lfr_portal.selectors.audit import ACTION_LABELS, action_label
from tests import builders
from tests.factories import DeploymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(operator):
    return builders.live(operator), builders.submitted()


def _table(response):
    return response.content.decode().split("<tbody>")[1].split("</tbody>")[0]


def _get(client, user, **params):
    client.force_login(user)
    return client.get("/audit/", params)


def test_rows_run_newest_first_with_readable_labels_and_short_hashes(client, compliance, trail):
    response = _get(client, compliance)
    page = response.content.decode()
    assert response.status_code == 200
    rows = [int(n) for n in re.findall(r'<td data-label="Row">(\d+)</td>', page)]
    assert len(rows) > 5 and rows == sorted(rows, reverse=True)
    assert "Deployment approved" in page and "Submitted for approval" in page
    newest = AuditEvent.objects.order_by("-seq").exclude(action="audit.read").first()
    assert f'data-copy="{newest.row_hash}"' in page
    assert f'<code title="{newest.row_hash}">{newest.row_hash[:10]}…</code>' in page
    assert 'src="/static/js/copy.js"' in page


def test_filters_are_date_pickers_and_choices(client, compliance, trail):
    live, submitted = trail
    page = _get(client, compliance).content.decode()
    assert page.count('type="date"') == 2
    deployment_select = page.split('name="deployment"')[1].split("</select>")[0]
    assert f'value="{live.public_id}"' in deployment_select and live.title in deployment_select
    action_select = page.split('name="action"')[1].split("</select>")[0]
    assert 'value="deployment."' in action_select and ">Deployment approved<" in action_select


def test_a_deployment_filter_and_a_date_range_narrow_the_rows(client, compliance, trail):
    live, submitted = trail
    page = _table(_get(client, compliance, deployment=str(submitted.public_id)))
    assert submitted.title in page
    assert "Deployment went live" not in page  # the live one's start is filtered out
    day = AuditEvent.objects.first().occurred_at.date()
    response = _get(client, compliance, occurred_from=str(day), occurred_to=str(day))
    assert response.status_code == 200 and "No rows match" not in response.content.decode()
    tomorrow = day.replace(year=day.year + 1)
    response = _get(client, compliance, occurred_from=str(tomorrow))
    assert "No rows match" in response.content.decode()


@pytest.mark.parametrize(
    "params, field",
    [
        ({"occurred_from": "2026-11-01T00:00:00+99:00"}, "From (date)"),
        ({"occurred_to": "yesterday"}, "To (date, inclusive)"),
        ({"deployment": "not-a-uuid"}, "Deployment"),
        ({"action": "'; DROP TABLE"}, "Action"),
        ({"object": "12345"}, "Object"),
    ],
)
def test_unusable_filters_get_a_clear_message_not_a_server_error(
    client, compliance, trail, params, field
):
    response = _get(client, compliance, **params)
    page = response.content.decode()
    assert response.status_code == 400
    assert "These filters could not be applied" in page and f">{field}</a>:" in page
    assert "No rows match" in page


def test_a_deployment_a_watchlist_and_an_alert_link_to_their_own_rows(client, compliance, trail):
    live, _ = trail
    client.force_login(compliance)
    detail = client.get(f"/deployments/{live.public_id}/").content.decode()
    assert f'href="/audit/?deployment={live.public_id}">Audit trail</a>' in detail
    watchlist = client.get(f"/deployments/{live.public_id}/watchlist/").content.decode()
    assert f'/audit/?deployment={live.public_id}&amp;action=watchlist.">Audit trail' in watchlist

    only_watchlist = _get(client, compliance, deployment=str(live.public_id), action="watchlist.")
    actions = set(
        AuditEvent.objects.filter(
            deployment_public_id=str(live.public_id), action__startswith="watchlist."
        ).values_list("action", flat=True)
    )
    page = _table(only_watchlist)
    assert actions and all(action_label(a) in page for a in actions)
    assert "Deployment went live" not in page


def test_an_object_filter_shows_only_that_objects_rows(client, compliance, trail):
    live, _ = trail
    response = _get(client, compliance, object=str(live.public_id))
    assert "Showing only the rows about" in response.content.decode()
    page = _table(response)
    assert live.title in page and "Deployment went live" in page
    assert "Watchlist authorised" not in page  # the watchlist is another object


def test_every_action_the_code_writes_has_a_label():
    from pathlib import Path

    written = set()
    for path in Path("lfr_portal").rglob("*.py"):
        written |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    assert written and written <= set(ACTION_LABELS)


def test_new_action_codes_still_filter(client, compliance):
    DeploymentFactory()
    response = _get(client, compliance, action="somethingnew.done")
    assert response.status_code == 200
