import re
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from matcher.evaluation.rates import (
    PairScores,
    equal_error,
    error_rates,
    pair_scores,
)


def test_pairs_are_split_into_genuine_and_impostor_once_each():
    embeddings = np.eye(4, dtype=np.float32)
    embeddings[1] = embeddings[0]  # two images of person 0
    labels = np.array([0, 0, 1, 2])
    pairs = pair_scores(embeddings, labels)
    assert pairs.genuine.tolist() == [1.0]
    assert sorted(pairs.impostor.tolist()) == [0.0] * 5  # 6 pairs, 1 genuine


def test_distinct_references_score_every_ordered_pair_reference_times_probe():
    probes = np.eye(3, dtype=np.float32)
    # Reference i scores i+1 against probe i+1 and 0 elsewhere off the diagonal: the
    # matrix is not symmetric, so reference x probe and probe x reference differ.
    references = np.zeros((3, 3), dtype=np.float32)
    references[0, 1], references[1, 2], references[2, 0] = 0.9, 0.8, 0.7
    references[np.arange(3), np.arange(3)] = 1.0  # a reference with its own probe: skipped
    labels = np.array([0, 0, 1])
    pairs = pair_scores(probes, labels, references)
    # Images 0 and 1 are one person: (ref 0, probe 1) and (ref 1, probe 0).
    assert sorted(pairs.genuine.tolist()) == pytest.approx([0.0, 0.9])
    # (0,2), (2,0), (1,2), (2,1): each unordered impostor pair counted both ways.
    assert sorted(pairs.impostor.tolist()) == pytest.approx([0.0, 0.0, 0.7, 0.8])
    # The same array given as references: each unordered pair once, as without.
    same = pair_scores(probes, labels, probes)
    assert (same.genuine.size, same.impostor.size) == (1, 2)


def test_error_rates_count_impostors_at_or_above_and_genuines_below():
    pairs = PairScores(
        genuine=np.array([0.3, 0.5, 0.7, 0.9]),
        impostor=np.array([0.1, 0.2, 0.5, 0.6]),
    )
    fmr, fnmr = error_rates(pairs, np.array([0.5, 0.65]))
    assert fmr.tolist() == [0.5, 0.0]
    assert fnmr.tolist() == [0.25, 0.5]


def test_equal_error_rate_is_where_the_two_rates_cross():
    pairs = PairScores(
        genuine=np.array([0.3, 0.6, 0.7, 0.9]),
        impostor=np.array([0.1, 0.2, 0.4, 0.65]),
    )
    threshold, rate = equal_error(pairs)
    # At 0.6 one impostor pair (0.65) passes and one genuine pair (0.3) fails.
    assert (threshold, rate) == (pytest.approx(0.6), pytest.approx(0.25))


@pytest.mark.models
def test_the_command_prints_rates_and_writes_a_det_plot(faces_root, tmp_path):
    plot = tmp_path / "det.png"
    out = StringIO()
    call_command(
        "evaluate_matcher",
        "--faces",
        str(faces_root / "att_faces"),
        "--identities",
        "4",
        "--per-identity",
        "3",
        "--threshold",
        "0.45",
        "--plot",
        str(plot),
        stdout=out,
    )
    text = out.getvalue()
    assert "Images 12 of 4 identities; faces not detected 0" in text
    # 66 pairs, each scored both ways round (a reference against the other's probe).
    assert "Pairs: genuine 24, impostor 108" in text
    line = re.search(
        r"At threshold 0\.450: FMR ([\d.]+)% \((\d+)/108\), FNMR ([\d.]+)% \((\d+)/24\)", text
    )
    assert line, text
    assert 0 <= float(line.group(1)) <= 100 and 0 <= float(line.group(3)) <= 100
    assert "At engine floor" in text and "At engine default" in text
    assert re.search(r"^  0\.500 +[\d.]+% +[\d.]+%$", text, re.MULTILINE)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot.stat().st_size > 10_000


def test_the_command_refuses_a_folder_without_identities(tmp_path):
    with pytest.raises(CommandError, match="No identity folders"):
        call_command("evaluate_matcher", "--faces", str(tmp_path), stdout=StringIO())


@pytest.mark.models
def test_without_faces_it_measures_the_bundled_set(settings, faces_root):
    settings.LFR_FACE_SETS_EXTRA = []  # as on a fresh clone
    out = StringIO()
    call_command("evaluate_matcher", "--identities", "3", "--per-identity", "2", stdout=out)
    text = out.getvalue()
    assert f"faces from {faces_root / 'att_faces'}" in text
    assert "Images 6 of 3 identities; faces not detected 0" in text
    assert "Pairs: genuine 6, impostor 24" in text  # both ways round
