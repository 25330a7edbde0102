"""Uploaded photographs: only real images, within limits, stored without metadata,
and reachable only through the permission-checking views."""

import os
from io import BytesIO

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from lfr_portal.errors import RuleViolation
from lfr_portal.models import DeploymentStatus, SignageRecord, WatchlistEntry
from lfr_portal.services import field
from lfr_portal.services import watchlists as wl
from tests.factories import DeploymentFactory
from tests.security.images import (
    DEVICE,
    SERIAL,
    phone_photo,
    png_bytes,
    png_declaring,
    upload,
)
from tests.services.test_watchlists import entry_fields

pytestmark = pytest.mark.django_db


def stored_files():
    root = settings.MEDIA_ROOT
    return [os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names]


def record_sign(officer, photo):
    deployment = DeploymentFactory(status=DeploymentStatus.SUBMITTED)
    return field.signage_record(
        actor=officer,
        deployment=deployment,
        photo=photo,
        description="Sign at the station exit",
        location_name="Station exit",
        placed_at=timezone.now(),
    )


def add_entry(manager, image):
    deployment = DeploymentFactory()
    return wl.watchlist_entry_add(
        actor=manager, watchlist=deployment.watchlist, reference_image=image, **entry_fields()
    )


def test_a_phone_photo_is_stored_without_location_device_or_comment(field_officer):
    original = phone_photo()
    assert b"Exif" in original.read() and Image.open(original).getexif().get_ifd(0x8825)
    original.seek(0)

    record = record_sign(field_officer, original)

    with default_storage.open(record.photo.name, "rb") as handle:
        stored = handle.read()
    for trace in (b"Exif", DEVICE.encode(), SERIAL.encode(), b"Acme", b"PC Smith", b"IMG_0001"):
        assert trace not in stored
    image = Image.open(BytesIO(stored))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
    # The uploader's file name (which may name a person) is not kept either.
    assert "IMG_0001" not in record.photo.name and record.photo.name.endswith(".jpg")


def test_a_reference_image_is_stored_upright_and_clean(manager):
    # Orientation 6: the camera was turned, so the picture is shown rotated a quarter turn.
    entry = add_entry(manager, phone_photo(size=(64, 48), orientation=6))

    with default_storage.open(entry.reference_image.name, "rb") as handle:
        stored = Image.open(BytesIO(handle.read()))
    assert stored.size == (48, 64)
    assert dict(stored.getexif()) == {}


def test_a_png_is_judged_by_its_content_not_its_name(manager):
    entry = add_entry(manager, upload("notes.txt", png_bytes(), "text/plain"))

    with default_storage.open(entry.reference_image.name, "rb") as handle:
        assert Image.open(handle).format == "JPEG"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("face.jpg", b"<html><script>alert(1)</script></html>"),
        ("face.jpg", b"\xff\xd8\xff\xe0 a JPEG header and nothing else"),
        ("face.png", png_bytes()[:60]),  # a real PNG cut short
        ("face.jpg", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"),
        ("face.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),  # not an accepted format
    ],
)
def test_a_file_that_is_not_a_sound_image_is_refused_whatever_its_name(manager, name, content):
    with pytest.raises(RuleViolation) as refused:
        add_entry(manager, upload(name, content, "image/jpeg"))

    assert refused.value.code == "upload_not_an_image"
    assert refused.value.field == "reference_image"
    assert not WatchlistEntry.objects.exists()
    assert stored_files() == []


def test_an_upload_over_the_size_limit_is_refused(manager, settings):
    settings.LFR_UPLOAD_MAX_BYTES = 1024 * 1024
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    buffer = BytesIO()
    noise.save(buffer, "PNG")
    assert buffer.tell() > settings.LFR_UPLOAD_MAX_BYTES

    with pytest.raises(RuleViolation) as refused:
        add_entry(manager, upload("big.png", buffer.getvalue()))

    assert refused.value.code == "upload_too_large"
    assert stored_files() == []


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8_000, 8_000),  # over this portal's limit, under Pillow's own
        (40_000, 40_000),  # over twice Pillow's limit: Pillow refuses it at once
    ],
)
def test_a_decompression_bomb_is_refused_before_it_is_unpacked(field_officer, width, height):
    bomb = png_declaring(width, height)
    assert len(bomb) < 20_000

    with pytest.raises(RuleViolation) as refused:
        record_sign(field_officer, upload("sign.png", bomb))

    assert refused.value.code == "upload_too_many_pixels"
    assert refused.value.field == "photo"
    assert not SignageRecord.objects.exists()


def test_the_pixel_limit_is_a_setting(manager, settings):
    settings.LFR_UPLOAD_MAX_PIXELS = 32 * 32 - 1

    with pytest.raises(RuleViolation) as refused:
        add_entry(manager, upload("face.png", png_bytes((32, 32))))

    assert refused.value.code == "upload_too_many_pixels"


def test_the_api_refuses_a_bomb_and_stores_nothing(api, field_officer):
    deployment = DeploymentFactory(status=DeploymentStatus.SUBMITTED)
    api.force_authenticate(field_officer)

    response = api.post(
        f"/api/deployments/{deployment.public_id}/signage/record/",
        {
            "description": "Sign",
            "location_name": "Exit",
            "placed_at": timezone.now().isoformat(),
            "photo": upload("sign.png", png_declaring(8_000, 8_000)),
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert "pixels" in str(response.json())
    assert not SignageRecord.objects.exists()
    assert stored_files() == []


def test_the_evidence_form_puts_the_refusal_beside_the_photo(client, field_officer, settings):
    # A real image that Django's form accepts, over this portal's pixel limit.
    settings.LFR_UPLOAD_MAX_PIXELS = 100
    deployment = DeploymentFactory(status=DeploymentStatus.SUBMITTED)
    client.force_login(field_officer)

    response = client.post(
        f"/deployments/{deployment.public_id}/evidence/",
        {
            "sign": "1",
            "sign-description": "Sign",
            "sign-location_name": "Exit",
            "sign-placed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "sign-photo": upload("sign.png", png_bytes((32, 32))),
        },
    )

    assert response.status_code == 400
    assert "more than the 100 allowed" in response.context["sign_form"].errors["photo"][0]
    assert not SignageRecord.objects.exists()
    assert stored_files() == []


def test_a_stored_image_has_no_url_of_its_own(client, manager, field_officer):
    entry = add_entry(manager, phone_photo())
    name = entry.reference_image.name
    assert default_storage.exists(name)
    client.force_login(manager)

    for guess in (f"/media/{name}", f"/{name}", f"/var/media/{name}", f"/static/{name}"):
        assert client.get(guess).status_code == 404, guess
    # The one way in is the view that checks who is asking.
    served = client.get(f"/images/entries/{entry.public_id}.jpg")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    client.force_login(field_officer)
    assert client.get(f"/images/entries/{entry.public_id}.jpg").status_code == 404
