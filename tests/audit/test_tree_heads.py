"""The public feed of signed tree heads, its consistency proofs, and checking an export."""

import json

import pytest
from django.core.cache import cache
from django.db import transaction

from lfr_portal.audit_chain import load_public_key
from lfr_portal.audit_verify import ExportInvalid, verify_export, verify_kept_head
from lfr_portal.services import audit
from tests.audit.test_chain import write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    # A page another test left in the cache would hide the heads written here.
    cache.clear()
    settings.LFR_TRANSPARENCY_CACHE_SECONDS = 0
    settings.LFR_AUDIT_TREE_HEAD_EVERY_ROWS = 0


def test_the_feed_and_the_page_publish_the_latest_heads_without_login(client):
    write(5)
    first = audit.audit_tree_head_tick()
    write(2)
    second = audit.audit_tree_head_tick()
    feed = client.get("/transparency/tree-heads.json")
    assert feed.status_code == 200
    body = feed.json()
    assert [h["tree_size"] for h in body["tree_heads"]] == [7, 5]
    assert body["tree_heads"][0] == second.tree_head()
    assert body["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    page = client.get("/transparency/")
    assert page.status_code == 200
    assert first.root_hash.encode() in page.content and b'id="audit-log"' in page.content


def test_a_kept_head_checks_against_a_later_proof(client):
    write(5)
    kept = audit.audit_tree_head_tick().tree_head()
    write(9)
    audit.audit_tree_head_tick()
    key = load_public_key(audit.public_key_pem())
    bundle = client.get("/transparency/tree-heads/consistency.json", {"first": 5}).json()
    assert bundle["head"]["tree_size"] == 14 and len(bundle["proof"]) >= 1
    assert verify_kept_head(kept, bundle, key).startswith("OK:")
    forged = {**bundle, "proof": [p[::-1] for p in bundle["proof"]]}
    with pytest.raises(ExportInvalid, match="no longer extends"):
        verify_kept_head(kept, forged, key)
    with pytest.raises(ExportInvalid, match="valid signature"):
        verify_kept_head({**kept, "tree_size": 4}, {**bundle, "first_size": 4}, key)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({}, 400),
        ({"first": "-1"}, 400),
        ({"first": "x"}, 400),
        ({"first": "1", "second": "99"}, 404),
    ],
)
def test_bad_consistency_requests_are_refused_plainly(client, query, status):
    write(2)
    audit.audit_tree_head_tick()
    assert client.get("/transparency/tree-heads/consistency.json", query).status_code == status


def test_an_export_checks_against_a_head_kept_before_it(client, compliance):
    write(4)
    kept = audit.audit_tree_head_tick().tree_head()
    with transaction.atomic():
        audit.audit_record(actor=compliance, action="test.more")
    client.force_login(compliance)
    response = client.get("/audit/export.json")
    export = json.loads(b"".join(response.streaming_content))
    key = load_public_key(audit.public_key_pem())
    assert verify_export(export, key).startswith("OK:")
    size = export["tree_head"]["tree_size"]
    client.logout()
    bundle = client.get(
        "/transparency/tree-heads/consistency.json", {"first": 4, "second": size}
    ).json()
    assert verify_kept_head(kept, bundle, key, export_head=export["tree_head"]).startswith("OK:")
    latest = client.get("/transparency/tree-heads/consistency.json", {"first": 4}).json()
    latest["head"] = {**latest["head"], "tree_size": size + 1}
    with pytest.raises(ExportInvalid, match="does not end at the export"):
        verify_kept_head(kept, latest, key, export_head=export["tree_head"])
