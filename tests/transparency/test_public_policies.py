"""The public policy page: the current publishable version of each document and its
change log, downloadable without login; nothing personal, and no version that is not
publishable listed or served."""

import pytest

from lfr_portal.services import policies as services
from tests import policy_builders as lib

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(compliance):
    """A document with versions 1 and 3 publishable and 2 not; one with none publishable."""
    document = lib.document(compliance, title="Live facial recognition policy")

    def text(n):
        return lib.text_file(f"Policy text, version {n}.\n")

    first = lib.version(document, compliance, upload=text(1), publishable=True)
    second = lib.version(
        document, compliance, upload=text(2), change_summary="Draft wording, internal."
    )
    third = lib.version(
        document,
        compliance,
        upload=text(3),
        publishable=True,
        change_summary="Section 4: alert retention.",
    )
    hidden = lib.version(actor=compliance, upload=text(4), change_summary="Never published.")
    return first, second, third, hidden


def test_the_page_lists_publishable_versions_only_with_their_change_log(client, library):
    first, second, third, hidden = library
    response = client.get("/transparency/policies/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Current version: 3" in page
    for version in (first, third):
        assert version.sha256 in page
        assert f"/transparency/policies/{version.public_id}/download/" in page
    assert "Section 4: alert retention." in page
    for version in (second, hidden):
        assert str(version.public_id) not in page and version.sha256 not in page
    assert "Draft wording" not in page and hidden.document.title not in page


def test_nothing_personal_on_the_page(client, library, compliance):
    page = client.get("/transparency/policies/").content.decode()
    assert compliance.get_username() not in page
    assert "uploaded" not in page.lower() and "csrfmiddlewaretoken" not in page
    for version in library:
        assert version.original_name not in page


def test_a_publishable_version_downloads_without_login(client, library):
    first = library[0]
    response = client.get(f"/transparency/policies/{first.public_id}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"Policy text, version 1.\n"
    assert response["Content-Disposition"].startswith("attachment;")


def test_no_other_version_is_served(client, library, compliance):
    first, second, third, hidden = library
    for version in (second, hidden):
        response = client.get(f"/transparency/policies/{version.public_id}/download/")
        assert response.status_code == 404
    # Taken off the public page: gone from the list and the download at once.
    services.policy_version_set_publishable(
        actor=compliance, version=third, publishable=False, reason="Wrong file."
    )
    assert client.get(f"/transparency/policies/{third.public_id}/download/").status_code == 404
    page = client.get("/transparency/policies/").content.decode()
    assert third.sha256 not in page and "Current version: 1" in page


def test_the_transparency_page_links_to_the_policies(client):
    page = client.get("/transparency/").content.decode()
    assert 'href="/transparency/policies/"' in page
