"""Photos are re-encoded on intake: no EXIF (above all no GPS position), no text chunks, no
colour profile survive; only real JPEG and PNG files are taken, and no decompression bombs."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from complaints.photos import MAX_EDGE, InvalidPhoto, clean_photo

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112


def _exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "SecretCam"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (13.0, 45.0, 22.8), 3: "E", 4: (100.0, 30.0, 6.4)}
    return exif


def jpeg_with_gps(size: tuple[int, int] = (40, 20), orientation: int = 1) -> bytes:
    """A JPEG carrying the camera's make, an orientation and a GPS position in its EXIF."""
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(
        buffer, format="JPEG", exif=_exif(orientation).tobytes(), icc_profile=b"not-a-profile"
    )
    data = buffer.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the fixture is what it says
    return data


def _upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_a_jpeg_keeps_its_pixels_and_loses_its_exif():
    # given a JPEG with GPS and camera data in its EXIF, and a colour profile
    original = jpeg_with_gps()

    # when
    file, content_type, width, height = clean_photo(_upload(original))

    # then
    stored = file.read()
    image = Image.open(io.BytesIO(stored))
    assert (content_type, width, height) == ("image/jpeg", 40, 20)
    assert image.format == "JPEG"
    assert image.size == (40, 20)
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info
    assert "icc_profile" not in image.info
    assert b"Exif" not in stored
    assert b"SecretCam" not in stored
    assert str(file.name).endswith(".jpg")


def test_the_photo_is_turned_upright_before_its_orientation_is_dropped():
    # given a photo taken sideways (EXIF orientation 6: rotate 90° to show it)
    original = jpeg_with_gps(size=(40, 20), orientation=6)

    file, _, width, height = clean_photo(_upload(original))

    assert (width, height) == (20, 40)
    assert Image.open(file).size == (20, 40)


def test_a_png_loses_its_text_and_exif_chunks():
    # given a PNG with a text chunk and an eXIf chunk
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "13.7563,100.5018")
    buffer = io.BytesIO()
    Image.new("RGBA", (12, 8), (0, 128, 0, 100)).save(
        buffer, format="PNG", pnginfo=info, exif=_exif().tobytes()
    )

    file, content_type, width, height = clean_photo(_upload(buffer.getvalue(), "map.png"))

    stored = file.read()
    image = Image.open(io.BytesIO(stored))
    assert (content_type, width, height) == ("image/png", 12, 8)
    assert image.mode == "RGBA"
    assert image.info == {}
    assert b"13.7563" not in stored
    assert b"SecretCam" not in stored
    assert str(file.name).endswith(".png")


def test_large_photos_are_scaled_down():
    buffer = io.BytesIO()
    Image.new("L", (MAX_EDGE * 2, 100)).save(buffer, format="PNG")

    _, _, width, height = clean_photo(_upload(buffer.getvalue(), "wide.png"))

    assert (width, height) == (MAX_EDGE, 50)


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    # given a tiny file of 8000 by 6000 one-bit pixels (48 megapixels)
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, format="PNG")
    assert len(buffer.getvalue()) < 100_000

    with pytest.raises(InvalidPhoto) as refused:
        clean_photo(_upload(buffer.getvalue(), "bomb.png"))

    assert refused.value.code == "too_many_pixels"


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a\x01\x00\x01\x00",
        b"%PDF-1.7",
        b"\xff\xd8\xff\xe0 truncated jpeg",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR broken",
    ],
    ids=["gif", "pdf", "truncated-jpeg", "broken-png"],
)
def test_only_readable_jpeg_and_png_files_are_photos(data):
    with pytest.raises(InvalidPhoto) as refused:
        clean_photo(_upload(data))

    assert refused.value.code == "unsupported_type"


def test_the_size_limit_holds_whatever_the_upload_claims(settings):
    settings.COMPLAINTS_PHOTO_MAX_BYTES = 100

    with pytest.raises(InvalidPhoto) as refused:
        clean_photo(_upload(jpeg_with_gps()))

    assert refused.value.code == "too_large"
