"""Which camera sources the portal and its recognition workers may use.

A worker connects wherever a camera's URL points, so an unchecked URL would let anyone
who registers a camera make the worker reach any host it can see (an internal admin
page, a cloud metadata service, the database). A source is therefore a stream on the
force's camera networks (LFR_CAMERA_NETWORKS) or a video file under a configured
folder (LFR_CAMERA_FILE_ROOTS), and nothing else.

The check runs twice. When a URL is saved, a name that does not resolve from the
portal is accepted if it is a well-formed host name: cameras often have names only
the camera network's DNS knows. The worker checks again just before it connects: there
the name must resolve, every address it resolves to must be allowed, and the stream is
opened by the checked address, so a name that changes its answer between the check and
the connection (DNS rebinding) cannot lead the worker anywhere else.
"""

import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .errors import RuleViolation

DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}
FILE_SCHEMES = {"file", ""}
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)
# Spaces, control characters and backslashes have no place in a camera URL, and FFmpeg
# reads some of them as separators or options.
_FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")
_SECRET_PARAMETER = re.compile(r"pass|pwd|token|key|secret|auth|sig|cred", re.IGNORECASE)
# A file camera plays one video container. Playlists (HLS .m3u8), concat lists and SDP
# files make FFmpeg open further inputs named inside them, wherever those lie, so only
# these single-file containers are allowed, known by their first bytes, not their name.
VIDEO_EXTENSIONS = (".avi", ".mkv", ".mov", ".mp4", ".m4v", ".ts", ".webm")
# The FFmpeg demuxers for those containers: the worker allows no other (see
# matcher/sources.py), so a file swapped after the check still cannot act as a playlist.
FFMPEG_FILE_FORMATS = "avi,matroska,webm,mov,mp4,m4a,3gp,3g2,mj2,mpegts"
_SNIFF_BYTES = 512
_MP4_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}
_TS_PACKET = 188


class SourceRefused(RuleViolation):
    """The source URL breaks the camera source rules; the message names the rule."""

    default_code = "camera_source"

    def __init__(self, message, *, code=None):
        super().__init__(message, field="source_url", code=code)


class HostUnresolved(SourceRefused):
    """The worker could not resolve the host now; it may later (the job retries)."""


@dataclass(frozen=True)
class CheckedSource:
    kind: str  # "file" or "stream"
    path: str = ""  # the file's real path, symbolic links resolved
    connect_url: str = ""  # the stream URL to open: by address once resolved


def mask_url(url, *, keep_username=True):
    """The URL with its password, and query values that look like secrets, as ***.

    Cheap cameras often take credentials in the query string (?user=admin&pwd=...), so
    those are masked as well as the user-info password. Logs and state messages drop
    the user name too (keep_username=False).
    """
    try:
        parts = urlsplit(url or "")
        password = parts.password
        username = parts.username
    except ValueError:
        return "(an unreadable URL)"
    netloc = parts.netloc
    if password is not None or (username and not keep_username):
        hostport = netloc.rpartition("@")[2]
        user = username if keep_username else "***"
        netloc = f"{user}:***@{hostport}" if password is not None else f"{user}@{hostport}"
    query = "&".join(
        f"{name}=***" if _SECRET_PARAMETER.search(name) else (f"{name}={value}" if sep else name)
        for name, sep, value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


# --- configuration ------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(spec):
    networks = []
    for item in spec:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"LFR_CAMERA_NETWORKS holds '{item}', which is not a network in CIDR form "
                "(for example 10.20.0.0/16)."
            ) from None
    return tuple(networks)


def camera_networks():
    return _networks(tuple(settings.LFR_CAMERA_NETWORKS))


def camera_file_roots():
    return [Path(os.path.realpath(root)) for root in settings.LFR_CAMERA_FILE_ROOTS]


# --- the rules ----------------------------------------------------------------------


def address_refusal(address):
    """Why the worker may not connect to this address, or None if it may."""
    address = ipaddress.ip_address(address)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        # ::ffff:127.0.0.1 is 127.0.0.1 to the kernel; judge it as such.
        address = address.ipv4_mapped
    if address.is_unspecified or address.is_multicast or address.is_link_local:
        # 0.0.0.0 reaches the local host, and link-local is where cloud metadata answers.
        return f"the address {address} is never a camera"
    if address.is_loopback and not settings.LFR_CAMERA_ALLOW_LOOPBACK:
        return f"the address {address} is this machine, which is not a camera here"
    if not any(address in network for network in camera_networks()):
        return f"the address {address} is outside the camera networks (LFR_CAMERA_NETWORKS)"
    return None


def _well_formed_host_name(name):
    labels = name.rstrip(".").split(".")
    return (
        len(name) <= 253
        and all(_LABEL.match(label) for label in labels)
        # An all-digit last label is an address in disguise (2130706433, 127.1), not a name.
        and not labels[-1].isdigit()
    )


def _check_file(parts, url, *, must_exist=False):
    if parts.scheme and parts.netloc not in ("", "localhost"):
        raise SourceRefused(
            "A file source must be a file on the worker (file:///path), not on another host.",
            code="camera_file_root",
        )
    path = parts.path if parts.scheme else url.split("?", 1)[0]
    if not path.startswith("/"):
        raise SourceRefused("A file source must be an absolute path.", code="camera_file_root")
    roots = camera_file_roots()
    if not roots:
        raise SourceRefused(
            "Video files are not allowed as camera sources here (LFR_CAMERA_FILE_ROOTS is empty).",
            code="camera_file_root",
        )
    # The real path, so neither '..' nor a symbolic link can step out of the folder.
    real = Path(os.path.realpath(path))
    if not any(real.is_relative_to(root) for root in roots):
        raise SourceRefused(
            "A video file source must lie inside a configured camera folder "
            "(LFR_CAMERA_FILE_ROOTS).",
            code="camera_file_root",
        )
    _check_container(real, must_exist=must_exist)
    return CheckedSource(kind="file", path=str(real))


def video_container(head: bytes) -> str | None:
    """The allowed container these first bytes of a file announce, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == b"\x1aE\xdf\xa3":
        return "matroska"
    if head[4:8] in _MP4_BOXES:
        return "mp4"
    if len(head) > _TS_PACKET * 2 and all(head[n] == 0x47 for n in (0, 188, 376)):
        return "mpegts"
    return None


def _check_container(real: Path, *, must_exist: bool) -> None:
    """A file camera is one video file in an allowed container, nothing that opens others."""
    if real.suffix.lower() not in VIDEO_EXTENSIONS:
        raise SourceRefused(
            f"A file camera plays one video file ({', '.join(VIDEO_EXTENSIONS)}); "
            f"'{real.suffix or real.name}' is not one of them. Playlists, concat lists and "
            "stream descriptions are refused because they make the player open other inputs.",
            code="camera_file_format",
        )
    if not real.exists() and not must_exist:
        return  # saved before the file is copied in; the worker checks it before playing
    if not real.is_file():
        raise SourceRefused(
            f"The video file '{real.name}' does not exist or is not a plain file.",
            code="camera_file_format",
        )
    try:
        with real.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        raise SourceRefused(
            f"The video file '{real.name}' cannot be read.", code="camera_file_format"
        ) from None
    if video_container(head) is None:
        raise SourceRefused(
            f"The file '{real.name}' is not a video in an allowed container (AVI, Matroska, "
            "MP4/QuickTime or MPEG-TS); a playlist or list of other files is refused.",
            code="camera_file_format",
        )


def _resolve(host, port):
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # The scope of a link-local IPv6 answer ('fe80::1%eth0') is not part of the address.
    return list(dict.fromkeys(info[4][0].split("%", 1)[0] for info in infos))


def _check_stream(parts, scheme, *, resolve):
    host = parts.hostname
    if not host:
        raise SourceRefused("A stream URL must name a host.", code="camera_host")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise SourceRefused(
            "The stream URL's port is not a number from 1 to 65535.", code="camera_host"
        ) from None
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        if not _well_formed_host_name(host):
            raise SourceRefused(
                f"'{host}' is neither an IP address nor a well-formed host name.",
                code="camera_host",
            )
        try:
            addresses = _resolve(host, port)
        except (OSError, UnicodeError):
            if resolve:
                raise HostUnresolved(
                    f"The camera host '{host}' cannot be resolved, so it cannot be checked "
                    "against the camera networks.",
                    code="camera_host",
                ) from None
            # Saved unresolved: the worker resolves and checks it before connecting.
            return CheckedSource(kind="stream", connect_url="")
        if not addresses:
            raise SourceRefused(f"The camera host '{host}' has no address.", code="camera_host")
    for address in addresses:
        refusal = address_refusal(address)
        if refusal:
            raise SourceRefused(
                f"The camera host '{host}' is not allowed: {refusal}.", code="camera_network"
            )
    return CheckedSource(kind="stream", connect_url=_with_host(parts, addresses[0]))


def _with_host(parts, address):
    """The URL with its host replaced by the address, keeping credentials and port."""
    shown = f"[{address}]" if ":" in address else address
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (f"{userinfo}@" if userinfo else "") + shown
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=netloc, fragment=""))


def check_source_url(url, *, resolve=False):
    """Raise SourceRefused unless the URL is an allowed camera source.

    resolve=False is the save-time check: an unresolvable but well-formed host name
    passes, and so does a video file not copied in yet. resolve=True is the worker's check
    before it connects: the name must resolve and every address must be allowed (the
    result's connect_url names the address); a file must exist and be a video container.
    """
    url = (url or "").strip()
    if not url:
        raise SourceRefused("A camera needs a source URL.", code="camera_scheme")
    if _FORBIDDEN_CHARACTERS.search(url):
        raise SourceRefused(
            "The source URL holds spaces, control characters or backslashes.",
            code="camera_scheme",
        )
    try:
        parts = urlsplit(url)
    except ValueError:
        raise SourceRefused("The source URL cannot be read.", code="camera_scheme") from None
    scheme = parts.scheme.lower()
    if scheme in FILE_SCHEMES:
        return _check_file(parts, url, must_exist=resolve)
    if scheme in DEFAULT_PORTS:
        return _check_stream(parts, scheme, resolve=resolve)
    raise SourceRefused(
        f"The scheme '{scheme}' is not allowed for a camera; use rtsp, rtsps, http, https, "
        "or file for a video in a configured folder.",
        code="camera_scheme",
    )
