"""Pictures lose the text their format hides (PNG text chunks, JPEG comments, EXIF, XMP, IPTC), never a pixel or their colours."""

import io
import struct
import zlib

import pytest
from PIL import Image
from PIL import ImageCms
from PIL.PngImagePlugin import PngInfo

from app.documents.image_metadata import Malformed
from app.documents.image_metadata import without_jpeg_text
from app.documents.image_metadata import without_png_text

pytestmark = pytest.mark.no_database

ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
MARKERS = (b"TextMarker", b"ZtxtMarker", b"ItxtMarker", b"ExifMarker", b"CommentMarker", b"IptcMarker", b"XmpMarker")


def picture():
    """A 16 x 12 picture whose every pixel differs from its neighbours (a change anywhere shows)."""
    image = Image.new("RGB", (16, 12))
    image.putdata([(x * 15, y * 20, (x * y * 7) % 256) for y in range(12) for x in range(16)])
    return image


def exif():
    tags = Image.Exif()
    tags[0x010E] = "ExifMarker: Anna Li, 13/07/1931"  # ImageDescription
    tags[0x013B] = "ExifMarker Dr Berg"  # Artist
    return tags


def png_with_text():
    info = PngInfo()
    info.add_text("Author", "TextMarker Anna Li")
    info.add_text("Comment", "ZtxtMarker " * 20, zip=True)
    info.add_itxt("Description", "ItxtMarker née le 13 juillet 1931", lang="fr", tkey="Beschreibung")
    info.add(b"tIME", struct.pack(">HBBBBB", 2026, 3, 1, 9, 30, 0))
    out = io.BytesIO()
    picture().save(out, "PNG", pnginfo=info, exif=exif(), icc_profile=ICC)
    return out.getvalue()


def jpeg_with_text():
    out = io.BytesIO()
    picture().save(out, "JPEG", quality=90, exif=exif(), icc_profile=ICC, comment=b"CommentMarker Anna Li")
    data = out.getvalue()
    iptc = b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00\x00\x00\x00\x10" + b"IptcMarker Li\x00\x00\x00"
    app13 = b"\xff\xed" + struct.pack(">H", len(iptc) + 2) + iptc
    xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><dc:creator>XmpMarker</dc:creator></x:xmpmeta>"
    app1 = b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp
    return data[:2] + app13 + app1 + data[2:]


def chunks(png):
    position, found = 8, []
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        found.append(kind)
        position += 12 + length
    return found


def pixels(data):
    return Image.open(io.BytesIO(data)).tobytes()


def test_a_png_loses_every_text_chunk_and_its_exif_but_keeps_its_pixels_and_colour_profile():
    original = png_with_text()
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"} <= set(chunks(original))
    assert b"TextMarker" in original and b"ItxtMarker" in original and b"ExifMarker" in original
    assert b"ZtxtMarker" in zlib.decompressobj().decompress(original.split(b"zTXtComment\x00\x00")[1])

    cleaned, removed = without_png_text(original)

    assert removed
    assert not {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"} & set(chunks(cleaned))
    assert not [marker for marker in MARKERS if marker in cleaned]
    assert pixels(cleaned) == pixels(original) == picture().tobytes()
    reopened = Image.open(io.BytesIO(cleaned))
    assert reopened.info.get("icc_profile") == ICC and not reopened.text and not reopened.getexif()


def test_a_jpeg_loses_its_comment_exif_xmp_and_iptc_but_keeps_its_pixels_and_colour_profile():
    original = jpeg_with_text()
    assert all(marker in original for marker in (b"CommentMarker", b"ExifMarker", b"IptcMarker", b"XmpMarker"))

    cleaned, removed = without_jpeg_text(original)

    assert removed
    assert not [marker for marker in MARKERS if marker in cleaned]
    assert b"Exif\x00\x00" not in cleaned and b"Photoshop 3.0" not in cleaned
    assert pixels(cleaned) == pixels(original)
    reopened = Image.open(io.BytesIO(cleaned))
    assert reopened.info.get("icc_profile") == ICC and b"JFIF" in cleaned
    assert not reopened.getexif() and "comment" not in reopened.info


@pytest.mark.parametrize(("build", "clean"), [(png_with_text, without_png_text), (jpeg_with_text, without_jpeg_text)])
def test_a_picture_already_clean_comes_back_as_it_was(build, clean):
    cleaned, removed = clean(build())
    again, removed_again = clean(cleaned)
    assert removed and not removed_again
    assert again == cleaned


@pytest.mark.parametrize(("save", "clean"), [("PNG", without_png_text), ("JPEG", without_jpeg_text)])
def test_a_picture_without_any_text_is_kept_byte_for_byte(save, clean):
    out = io.BytesIO()
    picture().save(out, save)
    original = out.getvalue()
    cleaned, removed = clean(original)
    assert cleaned == original and not removed


def test_a_phone_photo_holding_a_second_picture_keeps_the_exif_of_neither():
    """Phones store a second picture (a depth or gain map, a preview) after the first one's end, each with its own EXIF;
    the compressed picture is copied as it is, and with it whatever follows."""
    out = io.BytesIO()
    picture().save(out, "MPO", save_all=True, append_images=[picture()], exif=exif())
    original = out.getvalue()
    assert original.count(b"ExifMarker") >= 2

    cleaned, removed = without_jpeg_text(original)

    assert removed and b"ExifMarker" not in cleaned


@pytest.mark.parametrize(("save", "clean"), [("PNG", without_png_text), ("JPEG", without_jpeg_text)])
def test_text_appended_after_the_end_of_a_picture_is_not_kept(save, clean):
    out = io.BytesIO()
    picture().save(out, save)
    original = out.getvalue() + b"Anna Li 13/07/1931 TrailerMarker"
    cleaned, _removed = clean(original)
    assert b"TrailerMarker" not in cleaned


@pytest.mark.parametrize(
    ("build", "clean", "cut"),
    [
        (png_with_text, without_png_text, 20),  # inside the header chunk
        (png_with_text, without_png_text, -5),  # inside the end chunk
        (jpeg_with_text, without_jpeg_text, 3),  # inside a segment's marker
        (jpeg_with_text, without_jpeg_text, 40),  # inside the IPTC segment
    ],
)
def test_a_truncated_picture_is_malformed(build, clean, cut):
    with pytest.raises(Malformed):
        clean(build()[:cut])


@pytest.mark.parametrize(
    ("data", "clean"),
    [
        (b"GIF89a", without_png_text),
        (b"\xff\xd8\xff\xe0", without_png_text),
        (b"\x89PNG\r\n\x1a\n", without_jpeg_text),
        (b"\xff\xd8\x00\x00\x00\x00", without_jpeg_text),  # no marker where a segment should start
        (b"\xff\xd8\xff\xe1\x00\x01abcd", without_jpeg_text),  # a segment shorter than its own length field
    ],
)
def test_what_is_not_the_format_at_all_is_malformed(data, clean):
    with pytest.raises(Malformed):
        clean(data)
