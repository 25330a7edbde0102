"""Uploaded photographs (reference images, signage photos): proved to be images, stored clean.

What is stored is never the uploaded file. The upload must be a JPEG, PNG or WebP
that Pillow can verify and decode, within a size and a pixel limit (a few kilobytes
can declare billions of pixels: a decompression bomb); then its pixels alone are
encoded afresh as a JPEG under a random name. EXIF (GPS position, camera make and
serial number, time), XMP, ICC profiles, comments and the uploader's file name are
all left behind, whatever the file called itself.
"""

import io
import uuid
import warnings

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from ..errors import RuleViolation

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
JPEG_QUALITY = 92
# libjpeg's JPEG_MAX_DIMENSION: a wider or taller image cannot be stored as a JPEG at all.
JPEG_MAX_SIDE = 65_500


def _refuse(message: str, field: str, code: str) -> RuleViolation:
    return RuleViolation(message, field=field, code=code)


def _check_pixels(image: Image.Image, field: str) -> None:
    width, height = image.size
    if max(width, height) > JPEG_MAX_SIDE:
        raise _refuse(
            f"The image is {width} x {height} pixels; neither side may pass "
            f"{JPEG_MAX_SIDE:,} pixels (the JPEG limit).",
            field,
            "upload_too_wide",
        )
    if width * height > settings.LFR_UPLOAD_MAX_PIXELS:
        raise _refuse(
            f"The image is {width} x {height} pixels, more than the "
            f"{settings.LFR_UPLOAD_MAX_PIXELS:,} allowed; send a smaller copy.",
            field,
            "upload_too_many_pixels",
        )


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image holding the decoded pixels and nothing else, upright."""
    # EXIF orientation is applied to the pixels, since the tag that carried it goes.
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def image_cleaned(upload: File, *, field: str) -> ContentFile:
    """The upload re-encoded as a metadata-free JPEG, or RuleViolation naming the rule."""
    limit = settings.LFR_UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is None or size > limit:
        raise _refuse(
            f"The image is larger than {limit // (1024 * 1024)} MB.", field, "upload_too_large"
        )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; here that is a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload, formats=ACCEPTED_FORMATS) as probe:
                _check_pixels(probe, field)
                probe.verify()
            # verify() leaves the image unusable: open again to decode every pixel.
            upload.seek(0)
            with Image.open(upload, formats=ACCEPTED_FORMATS) as image:
                _check_pixels(image, field)
                image.load()
                clean = _pixels_only(image)
    except RuleViolation:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(
            "The image declares more pixels than allowed (a decompression bomb).",
            field,
            "upload_too_many_pixels",
        ) from None
    except Exception:  # Pillow raises many types for a file that is not a sound image
        raise _refuse(
            "The file is not a JPEG, PNG or WebP image that can be read, whatever its name says.",
            field,
            "upload_not_an_image",
        ) from None
    finally:
        upload.seek(0)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
