"""Hostile slide uploads: judged by content, stored under a name of ours, served as a download.

A set member uploads slides for the module 6 showcase; another cohort member downloads them. What
a browser would run (HTML, SVG) is refused whatever its name; a ZIP bomb shaped like a PowerPoint
is refused before anything unpacks it; a name with folders in it changes nothing but the offered
file name; an oversize file is refused. Whatever is accepted is served with
``Content-Disposition: attachment`` and ``X-Content-Type-Options: nosniff``.
"""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cohorts.tests.factories import client_for
from projects import services
from projects.models import Presentation
from projects.tests.factories import PresentationFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


def _zip(members: dict[str, bytes | int]) -> bytes:
    """A ZIP; a member given as an int is that many zero bytes (they compress to almost nothing)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            if isinstance(content, int):
                with archive.open(name, "w", force_zip64=True) as member:
                    chunk = b"\0" * (1024 * 1024)
                    for _ in range(content // len(chunk)):
                        member.write(chunk)
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


PPTX = _zip({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p:presentation/>"})


@pytest.fixture
def presentation(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return PresentationFactory(action_learning_set=world["set_a"], project=world["project_a"])


def _url(presentation, name):
    return reverse(f"projects:{name}", kwargs={"cohort_pk": presentation.cohort_id, "presentation_pk": presentation.pk})


def _upload(world, presentation, name, content):
    return client_for(world["member_a"]).post(
        _url(presentation, "slides_upload"), {"slides": SimpleUploadedFile(name, content, "application/pdf")}
    )


def _stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("slides.pdf", HTML),
        ("slides.pdf", SVG),
        ("slides.svg", SVG),
        ("slides.pptx", HTML),
        ("slides.pdf", b""),
        # Starts like a ZIP but is not one.
        ("slides.pptx", b"PK\x03\x04" + b"\xff" * 100),
        # A ZIP bomb shaped like a PowerPoint: 300 MB of zeros in a few hundred kB.
        ("slides.pptx", _zip({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": 300 * 1024 * 1024})),
        # Far more parts than any deck.
        ("slides.pptx", _zip({**{f"ppt/x{i}.xml": b"" for i in range(6000)}, "[Content_Types].xml": b"<T/>"})),
    ],
    ids=["html-as-pdf", "svg-as-pdf", "svg", "html-as-pptx", "empty", "broken-zip", "zip-bomb", "many-parts"],
)
def test_upload_refused_by_content_stores_nothing(world, presentation, settings, name, content):
    response = _upload(world, presentation, name, content)

    assert response.status_code == 400
    # "Upload the slides as a PDF or a PowerPoint (.pptx) file", or "The submitted file is empty".
    assert "There is a problem" in response.text
    assert "PDF or a PowerPoint" in response.text or "empty" in response.text
    presentation.refresh_from_db()
    assert not presentation.slides
    assert presentation.slides_name == ""
    assert _stored_files(settings) == []


def test_zip_bomb_is_judged_without_unpacking_it(world):
    bomb = SimpleUploadedFile("x.pptx", _zip({"[Content_Types].xml": b"<T/>", "ppt/presentation.xml": 300 << 20}))
    assert len(bomb) < services.SLIDES_MAX_BYTES
    assert services.slides_kind(bomb) is None
    assert services.slides_kind(SimpleUploadedFile("x.pptx", PPTX)) == "pptx"


def test_oversize_upload_is_refused(world, presentation, settings):
    response = _upload(world, presentation, "big.pdf", PDF + b"\0" * services.SLIDES_MAX_BYTES)

    assert response.status_code == 400
    assert "larger than 20 MB" in response.text
    presentation.refresh_from_db()
    assert not presentation.slides
    assert _stored_files(settings) == []


@pytest.mark.parametrize(
    ("uploaded_name", "offered_name"),
    [
        ("../../../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
        ("/abs/path/.htaccess", "slides.pdf"),
        ("...pdf", "slides.pdf"),
        ('quote" onclick="x.pdf', 'quote" onclick="x.pdf'),
        ("bell\x07\ttab.pdf", "belltab.pdf"),
    ],
)
def test_path_traversal_in_the_name_changes_only_the_offered_name(
    world, presentation, settings, uploaded_name, offered_name
):
    response = _upload(world, presentation, uploaded_name, PDF)

    assert response.status_code == 302
    presentation.refresh_from_db()
    assert presentation.slides_name == offered_name
    # Stored under a name of ours, inside the media folder, whatever the upload was called.
    assert _stored_files(settings) == [f"slides/cohort-{presentation.cohort_id}/presentation-{presentation.pk}.pdf"]
    download = client_for(world["member_b"]).get(_url(presentation, "slides_download"))
    assert download.status_code == 200
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition
    assert "\\\\" not in disposition.replace('\\"', "")
    assert "\n" not in disposition
    assert "\r" not in disposition


@pytest.mark.parametrize(
    ("name", "content", "content_type"), [("deck.pdf", PDF, "application/pdf"), ("deck.pptx", PPTX, "presentationml")]
)
def test_accepted_slides_are_served_as_a_download_never_inline(world, presentation, name, content, content_type):
    assert _upload(world, presentation, name, content).status_code == 302

    download = client_for(world["member_b"]).get(_url(presentation, "slides_download"))

    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert content_type in download["Content-Type"]
    assert b"".join(download.streaming_content) == content
    assert Presentation.objects.get(pk=presentation.pk).slides_name == name
