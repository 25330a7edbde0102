"""evaluate_matcher's way of choosing a threshold: a target false match rate held by an
upper confidence bound, checked on sets left out of the calibration, and per-search
figures with several reference photographs per identity."""

import re
import shutil
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from scipy.stats import beta

from lfr_portal.models import CalibrationRecord
from matcher.evaluation import EvaluationError
from matcher.evaluation.held_out import cross_check, search_scores
from matcher.evaluation.labelled import LabelledEmbeddings, embed_labelled_faces
from matcher.evaluation.rates import (
    CALIBRATION_GRID,
    calibrate_threshold,
    fmr_upper_bound,
    pair_scores,
)


def test_the_upper_bound_at_zero_false_matches_is_the_rule_of_three():
    # Exact Clopper-Pearson at zero: 1 - 0.05^(1/n), about 3/n.
    assert fmr_upper_bound(0, 30_000) == pytest.approx(1 - 0.05 ** (1 / 30_000), rel=1e-9)
    assert fmr_upper_bound(0, 30_000) == pytest.approx(3 / 30_000, rel=0.01)
    bounds = [fmr_upper_bound(k, 100_000) for k in range(10)]
    assert bounds == sorted(bounds) and len(set(bounds)) == 10
    assert fmr_upper_bound(5, 100_000) == pytest.approx(beta.ppf(0.95, 6, 99_995))
    assert fmr_upper_bound(3, 3) == 1.0 and fmr_upper_bound(0, 0) == 1.0


def test_the_threshold_chosen_holds_its_bound_and_is_the_lowest_that_does():
    # 100,000 impostor pairs: all low but ten, at 0.600, 0.610, ... 0.690.
    impostor = np.full(100_000, 0.1)
    impostor[:10] = 0.6 + 0.01 * np.arange(10)
    calibration = calibrate_threshold(impostor, 1e-4)

    # At most 4 false matches in 100,000 keep the 95% bound under 1e-4 (9.2e-5); 5 do not.
    assert fmr_upper_bound(4, 100_000) <= 1e-4 < fmr_upper_bound(5, 100_000)
    assert calibration.reached
    assert calibration.false_matches == 4 and calibration.impostor_pairs == 100_000
    assert calibration.bound <= 1e-4
    # Just above the fifth highest score (0.650): 0.651 lets through 0.66 to 0.69.
    assert calibration.threshold == pytest.approx(0.651)
    one_step_lower = calibration.threshold - 0.001
    lower_count = int((impostor >= one_step_lower).sum())
    assert fmr_upper_bound(lower_count, 100_000) > 1e-4


def test_it_never_settles_for_no_impostor_seen_when_pairs_are_too_few():
    # 1,000 pairs can bound the rate no lower than about 3e-3, whatever the threshold.
    impostor = np.linspace(-0.2, 0.3, 1_000)
    calibration = calibrate_threshold(impostor, 1e-4)
    assert not calibration.reached
    assert calibration.bound > 1e-4
    assert "NOT reached" in calibration.describe()
    assert calibration.false_matches == 0 and calibration.threshold > impostor.max()


def test_with_two_pairs_only_one_false_match_keeps_the_bound_under_0_999():
    calibration = calibrate_threshold(np.array([0.1, 0.2]), 0.999)
    assert (calibration.threshold, calibration.false_matches) == (0.101, 1)
    # A target no bound can exceed allows every pair: the lowest threshold there is.
    assert calibrate_threshold(np.array([0.1, 0.2]), 1.0).threshold == CALIBRATION_GRID[0]


def test_best_of_k_takes_each_identitys_best_reference():
    # Identities 0 and 1 have three photographs (two references and a probe each); 2 has
    # one, so it is not enrolled and its photograph is only ever a probe.
    vectors = np.array(
        [
            [1.0, 0.0, 0.0],  # 0: reference
            [0.0, 1.0, 0.0],  # 0: reference
            [0.6, 0.8, 0.0],  # 0: probe, 0.6 and 0.8 to its references
            [0.0, 0.0, 1.0],  # 1: reference
            [0.0, 0.6, 0.8],  # 1: reference
            [0.0, 0.0, 1.0],  # 1: probe
            [0.8, 0.0, 0.6],  # 2: probe only
        ],
        dtype=np.float32,
    )
    labels = np.array([0, 0, 0, 1, 1, 1, 2])
    data = LabelledEmbeddings(embeddings=vectors, labels=labels, identities=["a", "b", "c"])
    search = search_scores(data, 2)
    assert (search.enrolled, search.probes) == (2, 3)
    np.testing.assert_allclose(sorted(search.genuine), [0.8, 1.0], atol=1e-6)
    # Probe 0 against 1: max(0, 0.48); probe 1 against 0: max(0, 0); probe 2 against
    # 0: max(0.8, 0) and against 1: max(0.6, 0.48).
    np.testing.assert_allclose(sorted(search.impostor), [0.0, 0.48, 0.6, 0.8], atol=1e-6)


@pytest.fixture(scope="module")
def bundled_halves(faces_root, tmp_path_factory):
    """The bundled set's 40 people split into two sets of 20, as two --faces folders."""
    root = tmp_path_factory.mktemp("halves")
    people = sorted((faces_root / "att_faces").iterdir(), key=lambda p: int(p.name[1:]))
    for index, person in enumerate(people):
        half = root / ("odd" if index % 2 else "even")
        target = half / person.name
        target.mkdir(parents=True)
        for photo in sorted(person.iterdir())[:4]:
            shutil.copyfile(photo, target / photo.name)
    return [root / "even", root / "odd"]


@pytest.mark.models
def test_leaving_one_half_out_calibrates_on_the_other_only(sface, bundled_halves):
    data = embed_labelled_faces(sface, bundled_halves)
    assert len(data.labels) == 160 and not data.not_detected
    results = cross_check(data, 1e-3, references=2)

    assert [r.held_out for r in results] == ["even", "odd"]
    for result, other in zip(results, ["odd", "even"], strict=True):
        assert result.calibrated_on == [other]
        # 80 photographs of 20 people: 3,160 pairs, 120 genuine, 3,040 impostor, each
        # scored both ways round (a mirror-averaged reference against a plain probe).
        assert result.calibration.impostor_pairs == 6_080
        assert result.calibration.reached and result.calibration.bound <= 1e-3
        inside = np.array([name.startswith(result.held_out) for name in data.identities])
        rows = inside[data.labels]
        held = pair_scores(data.embeddings[rows], data.labels[rows], data.references[rows])
        threshold = result.calibration.threshold
        assert (result.fmr.count, result.fmr.total) == (
            int((held.impostor.astype(np.float64) >= threshold).sum()),
            6_080,
        )
        assert (result.fnmr.count, result.fnmr.total) == (
            int((held.genuine.astype(np.float64) < threshold).sum()),
            240,
        )
        # SFace on AT&T faces: few misses. 3,040 pairs calibrate coarsely (the target
        # allows no false match there), so on unseen people the rate lands above the
        # target, yet within ten times it.
        assert result.fnmr.rate < 0.1 and result.fmr.rate < 10 * 1e-3
        # Best of two: each of 20 people searched with their other two photographs.
        assert result.search_fnmr.total == 40 and result.search_fmr.total == 40 * 19
        assert result.search_fnmr.count <= result.fnmr.count


@pytest.mark.models
@pytest.mark.django_db
def test_the_command_prints_the_held_out_table_and_records_its_method(bundled_halves, tmp_path):
    out = StringIO()
    report = tmp_path / "report.html"
    call_command(
        "evaluate_matcher",
        *("--faces", str(bundled_halves[0]), "--faces", str(bundled_halves[1])),
        *("--target-fmr", "0.0005", "--cross-check", "--references", "2"),
        *("--record", "Bundled AT&T set, two halves of 20 people"),
        *("--report", str(report)),
        stdout=out,
    )
    text = out.getvalue()
    chosen = re.search(r"Calibrated for target FMR 0\.0005 on all sets pooled: (0\.\d{3}):", text)
    assert chosen, text
    # All 160 photographs pooled: 12,720 pairs, of which 12,480 are impostor pairs, 6,400
    # of them between the halves; each scored both ways round (reference x probe).
    assert "24,960 impostor pairs" in text
    assert re.search(r"^  even / odd / 0\.\d{3}: ", text, re.MULTILINE)
    assert re.search(r"^  odd / even / 0\.\d{3}: ", text, re.MULTILINE)
    assert "every set once, held out: FMR" in text
    assert re.search(
        r"Best of 2 references at 0\.\d{3} \(40 identities enrolled, 80 probes\)", text
    )

    record = CalibrationRecord.objects.get(description__startswith="Bundled AT&T set")
    assert "Clopper-Pearson" in record.description
    assert "engine opencv-sface@2," in record.description  # the embedding version measured
    assert "reference vectors mirror-averaged, probes plain" in record.description
    assert "target FMR 0.0005" in record.description
    assert "Held out" in record.description and "even at 0." in record.description
    assert any(row["threshold"] == chosen.group(1) for row in record.rates)

    # The report holds the same held-out table, one row per fold and one for all.
    html = report.read_text()
    assert "<h2>Held out: faces not used for calibration</h2>" in html
    assert "target FMR 0.0005 per pair" in html
    for held, other in (("even", "odd"), ("odd", "even")):
        printed = re.search(
            rf"^  {held} / {other} / (0\.\d{{3}}): .* / FMR [\d.]+% \(([\d,]+)/6,080;",
            text,
            re.MULTILINE,
        )
        assert printed, text
        threshold, false_matches = printed.groups()
        assert f"<tr><td>{held}</td><td>{other}</td><td>{threshold}" in html
        assert f"({false_matches}/6,080;" in html
    assert "<tr><th>Every set once</th>" in html and "/12,160;" in html


def test_cross_check_needs_a_target(faces_root):
    with pytest.raises(CommandError, match="--target-fmr"):
        call_command(
            "evaluate_matcher",
            "--faces",
            str(faces_root / "att_faces"),
            "--cross-check",
            stdout=StringIO(),
        )


def test_cross_check_needs_two_sets():
    data = LabelledEmbeddings(
        embeddings=np.eye(3, dtype=np.float32),
        labels=np.array([0, 1, 2]),
        identities=["a/x", "a/y", "a/z"],
    )
    with pytest.raises(EvaluationError, match="two --faces sets"):
        cross_check(data, 1e-3)


@pytest.mark.models
@pytest.mark.wider_faces
def test_the_default_engines_operating_point_holds_on_held_out_sets(
    sface, faces_root, wider_face_sets
):
    """The figures in OpenCVSFaceEngine's comment: pooled over every set, and each set
    held out in turn, at the default's target of 1e-4."""
    names = ("deepface_celebs", "faceapi_bbt")
    if not all(name in wider_face_sets for name in names):
        pytest.skip("needs the deepface_celebs and faceapi_bbt sets")
    roots = [faces_root / "att_faces", *(wider_face_sets[name].path for name in names)]
    data = embed_labelled_faces(sface, roots)
    pairs = pair_scores(data.embeddings, data.labels, data.references)
    calibration = calibrate_threshold(pairs.impostor, 1e-4)
    assert calibration.threshold == pytest.approx(sface.default_threshold)
    assert calibration.reached and calibration.bound <= 1e-4
    # The floor's target is 1.5e-4: at 2e-4 a held-out set went over 0.05% FMR.
    assert calibrate_threshold(pairs.impostor, 1.5e-4).threshold == pytest.approx(sface.floor)

    results = cross_check(data, 1e-4)
    false_matches = sum(r.fmr.count for r in results)
    impostor_pairs = sum(r.fmr.total for r in results)
    misses = sum(r.fnmr.count for r in results)
    genuine_pairs = sum(r.fnmr.total for r in results)
    # The goal, on faces not used for calibration: FNMR <= 12% at FMR <= 0.05%,
    # over the three folds and on each held-out set alone (faceapi_bbt, the hardest,
    # misses 14 of its 160 ordered pairs with mirror-averaged references against plain
    # probes; 2 of 80 with both sides mirror-averaged, 10 of 80 with neither).
    assert false_matches / impostor_pairs <= 0.0005
    assert misses / genuine_pairs <= 0.12
    for result in results:
        assert result.fmr.count / result.fmr.total <= 0.0005, result.held_out
        assert result.fnmr.count / result.fnmr.total <= 0.12, result.held_out
    worst = max(results, key=lambda r: r.fnmr.count / r.fnmr.total)
    assert (worst.held_out, worst.fnmr.count, worst.fnmr.total) == ("faceapi_bbt", 14, 160)
