"""Photos citizens attach to a complaint. The type is read from the file's bytes (JPEG or PNG,
opened and verified by Pillow), and the image is decoded and encoded afresh, so nothing of the
original file but its pixels is kept: no EXIF (GPS position, camera, time), no XMP, no ICC
profile, no PNG text. The pixel count is checked before decoding, so a small file that would
decompress to gigabytes is refused, and large photos are scaled down to a sensible size."""

from __future__ import annotations

import io
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Refused before decoding: at 4 bytes a pixel, 40 megapixels take 160 MB of memory.
MAX_PIXELS = 40_000_000
# Kept photos are at most this long on their longer side: plenty to see a pothole.
MAX_EDGE = 4096
JPEG_QUALITY = 85

# Pillow's format → (content type, file extension).
FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
_UNREADABLE = (
    UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
    Image.DecompressionBombError,
)  # fmt: skip


class InvalidPhoto(Exception):
    """A photo refused on intake, with a stable `code`: too_large, unsupported_type or
    too_many_pixels."""

    def __init__(self, code: str, detail: str | Promise) -> None:
        self.code = code
        self.detail = detail
        super().__init__(str(detail))


def clean_photo(upload: Any) -> tuple[ContentFile[bytes], str, int, int]:
    """(file, content type, width, height) of an uploaded JPEG or PNG, re-encoded without any
    metadata and turned upright as its EXIF orientation said. Raises InvalidPhoto."""
    limit = settings.COMPLAINTS_PHOTO_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise InvalidPhoto(
            "too_large",
            _("A photo may be at most %(megabytes)s MB.") % {"megabytes": limit // (1024 * 1024)},
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise InvalidPhoto("too_large", _("The photo is larger than allowed."))
    if not data.startswith(SIGNATURES):
        raise InvalidPhoto("unsupported_type", _("Attach photos as JPEG or PNG files."))
    image_format = _verified_format(data)
    try:
        with _opened(data) as image:
            _check_pixels(image)
            if image.format == "JPEG":
                # Decode large JPEGs at a reduced scale straight away (cheap, and less memory).
                image.draft("RGB", (MAX_EDGE, MAX_EDGE))
            image.load()
            upright = ImageOps.exif_transpose(image)
            encoded, width, height = _encode(upright, image_format)
    except _UNREADABLE as error:
        raise InvalidPhoto("unsupported_type", _("The photo cannot be read.")) from error
    content_type, extension = FORMATS[image_format]
    return ContentFile(encoded, name=f"{uuid.uuid4().hex}{extension}"), content_type, width, height


def _verified_format(data: bytes) -> str:
    """JPEG or PNG, as Pillow reads the file's structure (verify() checks the PNG chunks)."""
    try:
        with _opened(data) as image:
            image_format = image.format or ""
            _check_pixels(image)
            image.verify()
    except _UNREADABLE as error:
        raise InvalidPhoto("unsupported_type", _("The photo cannot be read.")) from error
    if image_format not in FORMATS:
        raise InvalidPhoto("unsupported_type", _("Attach photos as JPEG or PNG files."))
    return image_format


@contextmanager
def _opened(data: bytes) -> Iterator[Image.Image]:
    """The image, opened lazily (only its header is read). Pillow's own bomb warning is
    silenced: MAX_PIXELS, checked before anything is decoded, is far below its threshold."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as image:
            yield image


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise InvalidPhoto(
            "too_many_pixels",
            _("A photo may have at most %(megapixels)s megapixels.")
            % {"megapixels": MAX_PIXELS // 1_000_000},
        )


def _encode(image: Image.Image, image_format: str) -> tuple[bytes, int, int]:
    """The pixels alone, encoded afresh: a new image object carries no `info` (EXIF, ICC, XMP,
    text chunks) for the encoder to copy."""
    if image_format == "JPEG":
        mode = image.mode if image.mode in {"L", "RGB"} else "RGB"
    else:
        has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
        mode = image.mode if image.mode in {"L", "RGB", "RGBA"} else "RGBA" if has_alpha else "RGB"
    converted = image.convert(mode) if image.mode != mode else image
    if max(converted.size) > MAX_EDGE:
        converted = converted.copy()
        converted.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    bare = Image.frombytes(converted.mode, converted.size, converted.tobytes())
    buffer = io.BytesIO()
    if image_format == "JPEG":
        bare.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        bare.save(buffer, format="PNG")
    return buffer.getvalue(), bare.width, bare.height
