"""Images for the upload tests, made here: phone-like photographs and hostile files."""

import struct
import zlib
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

DEVICE = "Acme PhonePro 12"
SERIAL = "SN-4471-XYZ"


def phone_photo(name="IMG_0001.jpg", size=(64, 48), orientation=None):
    """A JPEG carrying what a phone writes: GPS position, make, model, serial, time."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Acme"
    exif[ExifTags.Base.Model] = DEVICE
    exif[ExifTags.Base.DateTime] = "2026:03:01 10:15:00"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.BodySerialNumber] = SERIAL
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    buffer = BytesIO()
    Image.new("RGB", size, (120, 90, 60)).save(
        buffer, "JPEG", exif=exif, comment=b"taken by PC Smith"
    )
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def png_bytes(size=(32, 32), mode="RGB"):
    buffer = BytesIO()
    Image.new(mode, size).save(buffer, "PNG")
    return buffer.getvalue()


def _chunk(kind, data):
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_declaring(width, height):
    """A PNG of a few hundred bytes whose header claims width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    data = zlib.compress(row * 4, 9)  # a few rows only: the rest never needs to exist
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def upload(name, content, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def jpeg_bytes(size=(32, 32)):
    """A small, real JPEG: what the upload checks accept."""
    buffer = BytesIO()
    Image.new("RGB", size, (90, 90, 90)).save(buffer, "JPEG")
    return buffer.getvalue()
