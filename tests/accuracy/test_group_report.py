"""evaluate_matcher --groups --report --record: on the bundled AT&T set, and on the wider
labelled sets of LFR_FACE_SETS_EXTRA where they are present."""

import base64
import re
from html.parser import HTMLParser
from io import StringIO

import cv2
import pytest
from django.core.management import call_command

from lfr_portal.models import AuditEvent, CalibrationRecord
from lfr_portal.selectors.calibrations import engine_calibrations, latest_calibration
from matcher.engines.opencv_sface import MODEL_SHA256
from matcher.evaluation import EvaluationError
from matcher.evaluation.groups import read_groups

pytestmark = [pytest.mark.models, pytest.mark.django_db]

# Public figures and television characters, grouped by sex and by the kind of image.
FEMALE = {
    "angelina_jolie",
    "jennifer_aniston",
    "katy_perry",
    "marissa_mayer",
    "scarlett_johansson",
    "amy",
    "bernadette",
    "penny",
}
CELEBS = [
    "angelina_jolie",
    "elon_musk",
    "george_clooney",
    "jack_dorsey",
    "jeff_bezos",
    "jennifer_aniston",
    "katy_perry",
    "leonardo_dicaprio",
    "marissa_mayer",
    "mark_zuckerberg",
    "matt_damon",
    "scarlett_johansson",
    "sundar_pichai",
]
BBT = ["amy", "bernadette", "howard", "leonard", "penny", "raj", "sheldon", "stuart"]
VOID = {"meta", "br", "img", "hr", "input", "link", "col", "source", "wbr", "area", "base"}


class StrictHTML(HTMLParser):
    """Checks that every element closes, in order, and collects the images."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.images, self.doctype = [], [], [], None

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def write_groups(path):
    lines = ["identity,sex,image_kind"]
    lines += [f"{name},{'female' if name in FEMALE else 'male'},colour photo" for name in CELEBS]
    # One written as set/name, as the file may when folder names repeat across sets.
    lines += [
        f"{'faceapi_bbt/' if name == 'amy' else ''}{name},"
        f"{'female' if name in FEMALE else 'male'},greyscale still"
        for name in BBT
    ]
    lines.append("not_measured,male,colour photo")
    path.write_text("\n".join(lines) + "\n")


def row_of(html, attribute_value):
    match = re.search(rf"<tr class=\"[a-z]+\"><td>{re.escape(attribute_value)}</td>.*?</tr>", html)
    assert match, attribute_value
    return match.group(0)


def check_report(html, rows):
    """The HTML report is well formed, stands alone and shows every group's counts."""
    parser = StrictHTML()
    parser.feed(html)
    parser.close()
    assert parser.doctype == "DOCTYPE html"
    assert parser.errors == [] and parser.stack == []
    assert html.count("<html") == html.count("<body") == html.count("<title>") == 1
    # Stands alone: three DET figures inlined as PNG, nothing fetched from elsewhere.
    assert len(parser.images) == 3
    for image in parser.images:
        prefix, payload = image["src"].split(",", 1)
        assert prefix == "data:image/png;base64"
        assert base64.b64decode(payload)[:8] == b"\x89PNG\r\n\x1a\n"
        assert image["alt"]
    assert "http://" not in html and "https://" not in html
    for (attribute, value), group in rows.items():
        row = row_of(html, value)
        assert f"{group['false_matches']}/{group['impostor_pairs']:,}" in row, attribute
        assert f"{group['false_non_matches']}/{group['genuine_pairs']:,}" in row, attribute
        assert ("significant difference" in row) is group["flagged"]
    assert "Bonferroni" in html and "not independent" in html
    for digest in MODEL_SHA256.values():
        assert digest in html


def bundled_sets_sharp_and_reduced(faces_root, root):
    """Two sets made from the bundled photographs, five of each person: s1-s20 as they
    are, s21-s40 reduced to a quarter of their size and enlarged again (detail lost, as
    in a far or poor camera). A groups file labels each person's image kind and, as an
    attribute that should make no difference, whether their subject number is odd."""
    lines = ["identity,image_kind,subject_number"]
    for number in range(1, 41):
        kind = "sharp" if number <= 20 else "reduced"
        folder = root / kind / f"s{number}"
        folder.mkdir(parents=True)
        for image_number in range(1, 6):
            image = cv2.imread(str(faces_root / "att_faces" / f"s{number}" / f"{image_number}.jpg"))
            if kind == "reduced":
                small = cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
                image = cv2.resize(small, image.shape[1::-1], interpolation=cv2.INTER_LINEAR)
            cv2.imwrite(str(folder / f"{image_number}.jpg"), image)
        label = "sharp" if kind == "sharp" else "reduced resolution"
        lines.append(f"{kind}/s{number},{label},{'odd' if number % 2 else 'even'}")
    (root / "groups.csv").write_text("\n".join(lines) + "\n")
    return root / "sharp", root / "reduced", root / "groups.csv"


def test_the_group_report_on_the_bundled_set(faces_root, tmp_path, compliance):
    sharp, reduced, groups = bundled_sets_sharp_and_reduced(faces_root, tmp_path / "sets")
    report = tmp_path / "report.html"
    out = StringIO()
    call_command(
        "evaluate_matcher",
        "--faces",
        str(sharp),
        "--faces",
        str(reduced),
        "--threshold",
        "0.3",
        "--groups",
        str(groups),
        "--report",
        str(report),
        "--record",
        "AT&T faces, half at a quarter resolution",
        "--ran-by",
        compliance.username,
        stdout=out,
    )
    text = out.getvalue()
    assert "Bonferroni-corrected over 4 comparisons: significant below p=0.0125" in text

    record = CalibrationRecord.objects.get(ran_by=compliance)
    assert latest_calibration("opencv-sface") == record
    assert record.model_sha256 == MODEL_SHA256
    # 40 people, 5 images each: 40 x 10 genuine pairs, C(200, 2) - 400 impostor pairs.
    assert (record.identities, record.images, record.images_without_face) == (40, 200, 0)
    # Each pair both ways round: a mirror-averaged reference against a plain probe.
    assert (record.genuine_pairs, record.impostor_pairs) == (800, 39_000)
    # The 0.005 sweep from 0 to 1 (the default, 0.435, is on it) and the floor (0.426).
    assert len(record.rates) == 202
    assert {"0.435", "0.426"} <= {row["threshold"] for row in record.rates}
    assert AuditEvent.objects.get(action="calibration.record").actor_username == (
        compliance.username
    )
    rows = {(g["attribute"], g["value"]): g for g in record.group_rates}
    assert set(rows) == {
        ("image_kind", "sharp"),
        ("image_kind", "reduced resolution"),
        ("subject_number", "odd"),
        ("subject_number", "even"),
    }
    # 20 people each: 20 x 10 genuine, C(100, 2) - 200 impostor, each both ways round.
    for group in rows.values():
        assert (group["identities"], group["genuine_pairs"]) == (20, 400)
        assert group["impostor_pairs"] == 9_500
    # Faces with their detail gone look alike: measured, p is about 2e-7. Odd or even
    # subject numbers make no difference worth flagging (p about 0.07).
    sharp_row, reduced_row = rows["image_kind", "sharp"], rows["image_kind", "reduced resolution"]
    assert reduced_row["fmr"] > 1.5 * sharp_row["fmr"]
    assert reduced_row["flagged"] and reduced_row["p_value"] < 0.0125
    assert not rows["subject_number", "odd"]["flagged"]
    assert not rows["subject_number", "even"]["flagged"]

    html = report.read_text()
    check_report(html, rows)
    assert "image_kind = reduced resolution: false match rate" in html


@pytest.mark.wider_faces
def test_the_group_report_on_the_wider_sets(wider_face_sets, tmp_path, compliance):
    if not {"deepface_celebs", "faceapi_bbt"} <= set(wider_face_sets):
        pytest.skip("needs deepface_celebs and faceapi_bbt among the extra face sets")
    groups, report = tmp_path / "groups.csv", tmp_path / "report.html"
    write_groups(groups)
    out = StringIO()
    call_command(
        "evaluate_matcher",
        "--faces",
        str(wider_face_sets["deepface_celebs"].path),
        "--faces",
        str(wider_face_sets["faceapi_bbt"].path),
        "--threshold",
        "0.3",
        "--groups",
        str(groups),
        "--report",
        str(report),
        "--record",
        "deepface_celebs and faceapi_bbt, all images",
        "--ran-by",
        compliance.username,
        stdout=out,
    )
    text = out.getvalue()
    assert "groups file names not_measured, which was not measured" in text
    assert "Bonferroni-corrected over 4 comparisons: significant below p=0.0125" in text

    record = CalibrationRecord.objects.get(ran_by=compliance)
    assert latest_calibration("opencv-sface") == record
    assert engine_calibrations()[0].latest.public_id == str(record.public_id)
    assert record.model_sha256 == MODEL_SHA256
    assert (record.identities, record.images, record.images_without_face) == (21, 101, 0)
    assert (record.genuine_pairs, record.impostor_pairs) == (440, 9_660)  # both ways
    # The 0.005 sweep from 0 to 1 (the default, 0.435, is on it) and the floor (0.426).
    assert len(record.rates) == 202
    assert {"0.435", "0.426"} <= {row["threshold"] for row in record.rates}
    event = AuditEvent.objects.get(action="calibration.record")
    assert event.actor_username == compliance.username
    rows = {(g["attribute"], g["value"]): g for g in record.group_rates}
    assert set(rows) == {
        ("sex", "female"),
        ("sex", "male"),
        ("image_kind", "colour photo"),
        ("image_kind", "greyscale still"),
    }
    # The image kinds are exactly the two sets, whose pair counts are known:
    # deepface_celebs 140 genuine and 1,690 impostor pairs, faceapi_bbt 80 and 700, each
    # scored both ways round.
    colour, grey = rows["image_kind", "colour photo"], rows["image_kind", "greyscale still"]
    assert (colour["genuine_pairs"], colour["impostor_pairs"]) == (280, 3_380)
    assert (grey["genuine_pairs"], grey["impostor_pairs"]) == (160, 1_400)
    assert (colour["identities"], grey["identities"], grey["images"]) == (13, 8, 40)
    # Every genuine pair lies within one sex; impostor pairs across sexes are left out.
    female, male = rows["sex", "female"], rows["sex", "male"]
    assert female["genuine_pairs"] + male["genuine_pairs"] == 440
    assert female["identities"] + male["identities"] == 21
    assert female["rest_impostor_pairs"] == male["impostor_pairs"]
    # Colour photographs of celebrities are confused far more often at 0.3.
    assert colour["flagged"] and grey["flagged"] and colour["fmr"] > grey["fmr"]
    assert colour["p_value"] < 0.0125

    html = report.read_text()
    check_report(html, rows)
    assert "image_kind = colour photo: false match rate" in html


def test_a_groups_file_must_name_its_attributes_and_identities_plainly(tmp_path):
    identities = ["set_a/ann", "set_b/ann", "set_a/bob"]
    bad = tmp_path / "bad.csv"
    bad.write_text("identity\nann\n")
    with pytest.raises(EvaluationError, match="header row"):
        read_groups(bad, identities)
    ambiguous = tmp_path / "ambiguous.csv"
    ambiguous.write_text("identity,sex\nann,female\n")
    with pytest.raises(EvaluationError, match="more than one set; write set/name"):
        read_groups(ambiguous, identities)
    good = tmp_path / "good.csv"
    good.write_text("identity,sex,skin_tone\nset_b/ann,female,V\nbob,male,\nzed,male,II\n")
    groups, unknown = read_groups(good, identities)
    assert groups == {"sex": {1: "female", 2: "male"}, "skin_tone": {1: "V"}}
    assert unknown == ["zed"]
