"""Measure an engine's false match and false non-match rates on labelled photographs.

    python manage.py evaluate_matcher [--faces matcher/sample_faces/att_faces] \
        [--faces OTHER_DIR ...] [--engine opencv-sface] [--threshold 0.4] [--plot det.png]
        [--groups groups.csv] [--report report.html] [--record "data set description"]

Without --faces it measures every known set: the bundled AT&T set and the extra sets
named by LFR_FACE_SETS_EXTRA (matcher/face_sets.py).

Each --faces directory holds one sub-directory per identity. Every image is
embedded once (the largest face in it; a tight crop is padded and tried again
when nothing is found); then every pair of images of the same identity is a
genuine comparison and every pair of different identities an impostor one.
Identities from different --faces directories are different people.

FMR(t): share of impostor pairs scoring >= t (a passer-by taken for a watchlist entry).
FNMR(t): share of genuine pairs scoring < t (a watchlisted person missed).
Images with no detected face are counted and left out of both.

--record stores the run as the engine's calibration (CalibrationRecord: rates at
every 0.005 step, the model files' SHA-256, who ran it), which approval and the
expected false alerts read. --groups reads a CSV whose first column names an
identity folder ("name" or "set/name") and whose other columns are attributes
(e.g. sex, skin_tone): rates per group with 95% intervals, and a group whose false
match rate differs from the others' flagged by Fisher's exact test with a
Bonferroni correction. --report writes all of it as one self-contained HTML file
with DET curves per group.
"""

from __future__ import annotations

import csv
import getpass
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lfr_portal.stats import percent, proportion
from matcher import accuracy_report
from matcher.engines import ENGINE_NAMES, Engine, EngineError, create_engine
from matcher.engines.base import sha256_of
from matcher.face_sets import all_sets

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".pgm", ".bmp", ".webp"}
DEFAULT_PAD = 0.5
SWEEP = np.round(np.arange(0.20, 0.7001, 0.025), 3)
# A recorded calibration is read at the next lower recorded threshold, so a fine
# step keeps that reading close to the truth.
RECORD_SWEEP = np.round(np.arange(0.0, 1.0001, 0.005), 3)


@dataclass
class LabelledEmbeddings:
    embeddings: np.ndarray
    labels: np.ndarray
    identities: list[str]
    images: int = 0
    not_detected: list[str] = field(default_factory=list)
    padded: int = 0
    detect_seconds: float = 0.0
    embed_seconds: float = 0.0


@dataclass
class PairScores:
    genuine: np.ndarray
    impostor: np.ndarray


def identity_folders(roots: list[Path]) -> list[tuple[str, Path]]:
    folders = []
    for root in roots:
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory.")
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            folders.append((f"{root.name}/{folder.name}", folder))
    if not folders:
        raise CommandError("No identity folders found; each --faces DIR needs one per person.")
    return folders


def image_files(folder: Path, limit: int | None) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return files[:limit] if limit else files


def pad_image(image: np.ndarray, fraction: float) -> np.ndarray:
    """A border of fraction x the image's size on each side: detectors need context."""
    height, width = image.shape[:2]
    top, side = int(height * fraction), int(width * fraction)
    return cv2.copyMakeBorder(image, top, top, side, side, cv2.BORDER_REPLICATE)


def largest_face(engine: Engine, image: np.ndarray):
    faces = engine.detect(image)
    return max(faces, key=lambda face: face.box[2] * face.box[3]) if faces else None


def embed_labelled_faces(
    engine: Engine,
    roots: list[Path],
    *,
    pad: float = DEFAULT_PAD,
    per_identity: int | None = None,
    identities: int | None = None,
) -> LabelledEmbeddings:
    folders = identity_folders(roots)[:identities] if identities else identity_folders(roots)
    vectors, labels = [], []
    result = LabelledEmbeddings(
        embeddings=np.empty((0, engine.dim), np.float32),
        labels=np.empty(0, int),
        identities=[name for name, _ in folders],
    )
    for label, (name, folder) in enumerate(folders):
        for path in image_files(folder, per_identity):
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                raise CommandError(f"{path} is not a readable image.")
            result.images += 1
            started = time.perf_counter()
            face = largest_face(engine, image)
            if face is None and pad > 0:
                image = pad_image(image, pad)
                face = largest_face(engine, image)
                result.padded += face is not None
            result.detect_seconds += time.perf_counter() - started
            if face is None:
                result.not_detected.append(f"{name}/{path.name}")
                continue
            started = time.perf_counter()
            vectors.append(engine.embed(image, face))
            result.embed_seconds += time.perf_counter() - started
            labels.append(label)
    if vectors:
        result.embeddings = np.stack(vectors).astype(np.float32)
        result.labels = np.asarray(labels)
    return result


def pair_scores(embeddings: np.ndarray, labels: np.ndarray) -> PairScores:
    """Every unordered pair once: upper triangle of the similarity matrix."""
    scores = embeddings @ embeddings.T
    upper = np.triu(np.ones(scores.shape, dtype=bool), k=1)
    same = labels[:, None] == labels[None, :]
    return PairScores(genuine=scores[upper & same], impostor=scores[upper & ~same])


def error_rates(pairs: PairScores, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    thresholds = np.asarray(thresholds, dtype=np.float64)[:, None]
    fmr = (
        (pairs.impostor[None, :] >= thresholds).mean(axis=1)
        if pairs.impostor.size
        else np.full(len(thresholds), np.nan)
    )
    fnmr = (
        (pairs.genuine[None, :] < thresholds).mean(axis=1)
        if pairs.genuine.size
        else np.full(len(thresholds), np.nan)
    )
    return fmr, fnmr


def equal_error(pairs: PairScores) -> tuple[float, float]:
    """(threshold, rate) where FMR and FNMR cross, on the observed scores."""
    candidates = np.unique(np.concatenate([pairs.genuine, pairs.impostor]))
    fmr, fnmr = error_rates(pairs, candidates)
    best = int(np.argmin(np.abs(fmr - fnmr)))
    return float(candidates[best]), float((fmr[best] + fnmr[best]) / 2)


def write_det_plot(pairs: PairScores, path: Path, *, title: str, marks: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only; the command never opens a window
    from matplotlib import pyplot as plt

    thresholds = np.linspace(-0.2, 1.0, 481)
    fmr, fnmr = error_rates(pairs, thresholds)
    # Zero rates cannot sit on log axes; half a pair is the resolution of the data.
    fmr_floor = 0.5 / max(pairs.impostor.size, 1)
    fnmr_floor = 0.5 / max(pairs.genuine.size, 1)
    figure, axes = plt.subplots(figsize=(6, 5), dpi=100)
    axes.plot(np.maximum(fmr, fmr_floor), np.maximum(fnmr, fnmr_floor), color="tab:blue")
    for (name, threshold), colour in zip(
        marks.items(), ["tab:red", "tab:orange", "tab:green"], strict=False
    ):
        point_fmr, point_fnmr = error_rates(pairs, np.array([threshold]))
        axes.plot(
            max(point_fmr[0], fmr_floor),
            max(point_fnmr[0], fnmr_floor),
            "o",
            color=colour,
            label=f"{name} {threshold:.3f}: FMR {point_fmr[0]:.4%}, FNMR {point_fnmr[0]:.2%}",
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("False match rate (impostor pairs)")
    axes.set_ylabel("False non-match rate (genuine pairs)")
    axes.set_title(title, fontsize=9)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)


def rate_counts(pairs: PairScores, thresholds) -> list[dict]:
    """Per threshold, the error counts behind FMR and FNMR (what a calibration record keeps)."""
    impostor = np.sort(pairs.impostor.astype(np.float64))
    genuine = np.sort(pairs.genuine.astype(np.float64))
    rows = []
    for value in thresholds:
        # float32 scores against a decimal threshold: compare as error_rates does.
        false_matches = int(impostor.size - np.searchsorted(impostor, value, side="left"))
        false_non_matches = int(np.searchsorted(genuine, value, side="left"))
        rows.append(
            {
                "threshold": f"{value:.3f}",
                "fmr": false_matches / impostor.size,
                "false_matches": false_matches,
                "fnmr": false_non_matches / genuine.size,
                "false_non_matches": false_non_matches,
            }
        )
    return rows


def model_file_hashes(engine: Engine) -> dict[str, str]:
    """SHA-256 of the model files the engine runs: the pinned digests, which the engine
    verified on loading, or, for an operator-supplied pack, the loaded files' digests."""
    pinned = getattr(sys.modules.get(type(engine).__module__), "MODEL_SHA256", None)
    if pinned:
        return dict(pinned)
    directory = getattr(engine, "model_dir", None)
    detector = getattr(engine, "detector_file", None)
    recogniser = getattr(engine, "recogniser_file", None)
    if directory and detector and recogniser:
        return {name: sha256_of(Path(directory) / name) for name in (detector, recogniser)}
    raise CommandError(f"Cannot tell which model files the {engine.name} engine loaded.")


def read_groups(path: Path, identities: list[str]) -> tuple[dict[str, dict[int, str]], list[str]]:
    """{attribute: {identity index: value}} from the CSV, and the names it gave that are
    not among the identities measured. The first column names an identity folder, as
    "name" or "set/name"; a header row names the attributes."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            table = [row for row in csv.reader(stream) if any(cell.strip() for cell in row)]
    except OSError as error:
        raise CommandError(f"Cannot read the groups file {path}: {error}") from error
    if not table or len(table[0]) < 2:
        raise CommandError(
            f"{path} needs a header row: the identity column, then one column per attribute."
        )
    attributes = [name.strip() for name in table[0][1:]]
    if not all(attributes) or len(set(attributes)) != len(attributes):
        raise CommandError(f"{path}: every attribute column needs its own name in the header.")
    by_name = {name: index for index, name in enumerate(identities)}
    by_folder: dict[str, list[int]] = {}
    for index, name in enumerate(identities):
        by_folder.setdefault(name.split("/", 1)[-1], []).append(index)
    groups: dict[str, dict[int, str]] = {attribute: {} for attribute in attributes}
    unknown = []
    for line, row in enumerate(table[1:], start=2):
        key = row[0].strip()
        if key in by_name:
            index = by_name[key]
        elif len(by_folder.get(key, [])) == 1:
            index = by_folder[key][0]
        elif by_folder.get(key):
            raise CommandError(
                f"{path} line {line}: '{key}' is a folder in more than one set; write set/name."
            )
        else:
            unknown.append(key)
            continue
        for attribute, cell in zip(attributes, row[1:], strict=False):
            if cell.strip():
                groups[attribute][index] = cell.strip()
    return groups, unknown


@dataclass
class GroupAnalysis:
    rows: list[accuracy_report.GroupRow]
    curves: dict[str, list[accuracy_report.Curve]]
    unmatched: dict[str, list[str]]
    tests: int
    alpha: float


def analyse_groups(
    data: LabelledEmbeddings, groups: dict[str, dict[int, str]], threshold: float
) -> GroupAnalysis:
    """Per attribute value: FNMR on its genuine pairs, FMR on impostor pairs within the
    group, compared with the impostor pairs within the attribute's other groups."""
    from scipy.stats import fisher_exact

    first, second = np.triu_indices(len(data.labels), k=1)
    # As float64, so the comparison with the threshold is the one error_rates makes.
    scores = (data.embeddings @ data.embeddings.T)[first, second].astype(np.float64)
    label_a, label_b = data.labels[first], data.labels[second]
    genuine = label_a == label_b
    passes = scores >= threshold
    rows: list = []
    curves: dict = {}
    unmatched: dict = {}
    for attribute, values_by_identity in groups.items():
        values = sorted(set(values_by_identity.values()))
        code_of = {value: code for code, value in enumerate(values)}
        # Each identity's group as a number; -1 where the file gives it none.
        codes = np.array(
            [
                -1 if (value := values_by_identity.get(k)) is None else code_of[value]
                for k in range(len(data.identities))
            ]
        )
        code_a, code_b = codes[label_a], codes[label_b]
        same_group = (code_a == code_b) & (code_a >= 0)
        unmatched[attribute] = [
            name for k, name in enumerate(data.identities) if k not in values_by_identity
        ]
        curves[attribute] = []
        for value, code in code_of.items():
            in_group = same_group & (code_a == code)
            impostor = in_group & ~genuine
            matched = in_group & genuine
            rest = same_group & (code_a != code) & ~genuine
            false_matches = int(np.count_nonzero(impostor & passes))
            rest_false_matches = int(np.count_nonzero(rest & passes))
            n_impostor, n_rest = int(np.count_nonzero(impostor)), int(np.count_nonzero(rest))
            p_value = None
            if n_impostor and n_rest:
                table = [
                    [false_matches, n_impostor - false_matches],
                    [rest_false_matches, n_rest - rest_false_matches],
                ]
                p_value = float(fisher_exact(table).pvalue)
            members = [k for k, c in enumerate(codes) if c == code]
            rows.append(
                accuracy_report.GroupRow(
                    attribute=attribute,
                    value=value,
                    identities=len(members),
                    images=int(np.isin(data.labels, members).sum()),
                    fnmr=proportion(
                        int(np.count_nonzero(matched & ~passes)), int(np.count_nonzero(matched))
                    ),
                    fmr=proportion(false_matches, n_impostor),
                    rest_fmr=proportion(rest_false_matches, n_rest),
                    p_value=p_value,
                )
            )
            curves[attribute].append(
                accuracy_report.Curve(
                    label=f"{attribute}={value}", genuine=scores[matched], impostor=scores[impostor]
                )
            )
    tests = sum(row.p_value is not None for row in rows)
    # Bonferroni: with many groups, one will look different by chance alone.
    alpha = accuracy_report.SIGNIFICANCE / max(tests, 1)
    for row in rows:
        row.flagged = row.p_value is not None and row.p_value < alpha
    return GroupAnalysis(rows=rows, curves=curves, unmatched=unmatched, tests=tests, alpha=alpha)


class Command(BaseCommand):
    help = "Print an engine's false match and false non-match rates on labelled face folders."

    def add_arguments(self, parser):
        parser.add_argument(
            "--faces",
            action="append",
            type=Path,
            help="directory with one sub-directory per identity; repeat to combine sets "
            "(default: the bundled set and any extra sets of LFR_FACE_SETS_EXTRA)",
        )
        parser.add_argument("--engine", default="opencv-sface", choices=ENGINE_NAMES)
        parser.add_argument(
            "--threshold", type=float, help="cosine threshold to report (default: engine's)"
        )
        parser.add_argument("--plot", type=Path, help="write a DET curve to this PNG file")
        parser.add_argument(
            "--pad",
            type=float,
            default=DEFAULT_PAD,
            help="border (fraction of image size) added when no face is found at first",
        )
        parser.add_argument("--per-identity", type=int, help="use at most N images per identity")
        parser.add_argument("--identities", type=int, help="use at most N identities")
        parser.add_argument(
            "--groups",
            type=Path,
            help="CSV: identity folder, then attribute columns (e.g. sex, skin_tone); "
            "reports rates per group",
        )
        parser.add_argument(
            "--report", type=Path, help="write a self-contained HTML report to this file"
        )
        parser.add_argument(
            "--record",
            metavar="DESCRIPTION",
            help="store this run as the engine's calibration, with this data set description",
        )
        parser.add_argument(
            "--ran-by", help="the portal username of whoever ran it (default: the OS login)"
        )

    def handle(self, *args, **options):
        if not options["faces"]:
            options["faces"] = [face_set.path for face_set in all_sets()]
        identity_folders(options["faces"])  # a wrong path fails before the models load
        ran_by = self._ran_by(options["ran_by"]) if options["record"] is not None else None
        if options["record"] is not None and not options["record"].strip():
            raise CommandError("--record needs a description of the data set.")
        try:
            engine = create_engine(options["engine"])
        except EngineError as error:
            raise CommandError(str(error)) from error
        threshold = (
            options["threshold"] if options["threshold"] is not None else engine.default_threshold
        )
        data = embed_labelled_faces(
            engine,
            options["faces"],
            pad=options["pad"],
            per_identity=options["per_identity"],
            identities=options["identities"],
        )
        pairs = pair_scores(data.embeddings, data.labels)
        out = self.stdout.write
        sets = ", ".join(str(path) for path in options["faces"])
        out(f"Engine {engine.name} ({engine.label}), faces from {sets}")
        out(
            f"Images {data.images} of {len(data.identities)} identities; "
            f"faces not detected {len(data.not_detected)}; found only after padding {data.padded}"
        )
        for name in data.not_detected:
            out(f"  not detected: {name}")
        embedded = len(data.embeddings)
        if embedded:
            out(
                f"Mean time per image: detect {1000 * data.detect_seconds / data.images:.1f} ms, "
                f"embed {1000 * data.embed_seconds / embedded:.1f} ms"
            )
        out(f"Pairs: genuine {pairs.genuine.size}, impostor {pairs.impostor.size}")
        if not pairs.genuine.size or not pairs.impostor.size:
            raise CommandError(
                "Need at least two images of one identity and two identities to measure rates."
            )
        marks = {"threshold": threshold}
        if engine.default_threshold != threshold:
            marks["engine default"] = engine.default_threshold
        marks["engine floor"] = engine.floor
        for name, value in marks.items():
            fmr, fnmr = error_rates(pairs, np.array([value]))
            out(
                f"At {name} {value:.3f}: "
                f"FMR {fmr[0]:.4%} ({int(round(fmr[0] * pairs.impostor.size))}"
                f"/{pairs.impostor.size}), "
                f"FNMR {fnmr[0]:.4%} ({int(round(fnmr[0] * pairs.genuine.size))}"
                f"/{pairs.genuine.size})"
            )
        eer_threshold, eer = equal_error(pairs)
        out(f"Equal error rate {eer:.2%} at {eer_threshold:.3f}")
        out(
            f"Highest impostor score {pairs.impostor.max():.3f}; "
            f"lowest genuine score {pairs.genuine.min():.3f}"
        )
        out("threshold      FMR     FNMR")
        fmrs, fnmrs = error_rates(pairs, SWEEP)
        for value, fmr, fnmr in zip(SWEEP, fmrs, fnmrs, strict=True):
            out(f"  {value:.3f}  {fmr:8.4%} {fnmr:8.4%}")
        if options["plot"]:
            write_det_plot(
                pairs,
                options["plot"],
                title=f"{engine.name} on {' + '.join(p.name for p in options['faces'])}",
                marks=marks,
            )
            out(f"DET plot written to {options['plot']}")
        hashes = model_file_hashes(engine)
        analysis = None
        if options["groups"]:
            groups, unknown = read_groups(options["groups"], data.identities)
            for name in unknown:
                out(f"  groups file names {name}, which was not measured")
            analysis = analyse_groups(data, groups, threshold)
            self._print_groups(analysis, threshold)
        if options["report"]:
            self._write_report(options, engine, data, pairs, threshold, hashes, analysis)
            out(f"Report written to {options['report']}")
        if options["record"] is not None:
            record = self._record(options, engine, data, pairs, hashes, analysis, ran_by)
            out(
                f"Calibration recorded: {record.public_id} ({record.engine}, "
                f"{len(record.rates)} thresholds)"
            )

    def _ran_by(self, username):
        if not username:
            return None
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"--ran-by: no active user '{username}'.")
        return user

    def _print_groups(self, analysis, threshold):
        out = self.stdout.write
        out(f"By group at threshold {threshold:.3f} (FMR: impostor pairs within the group):")
        for row in analysis.rows:
            flag = "  SIGNIFICANT DIFFERENCE" if row.flagged else ""
            p_value = "n/a" if row.p_value is None else f"{row.p_value:.3g}"
            out(
                f"  {row.attribute}={row.value}: identities {row.identities}, "
                f"FMR {percent(row.fmr.rate)} ({row.fmr.count}/{row.fmr.total}; "
                f"95% CI {percent(row.fmr.low)} to {percent(row.fmr.high)}), "
                f"FNMR {percent(row.fnmr.rate)} ({row.fnmr.count}/{row.fnmr.total}; "
                f"95% CI {percent(row.fnmr.low)} to {percent(row.fnmr.high)}), "
                f"other groups' FMR {percent(row.rest_fmr.rate)}, p={p_value}{flag}"
            )
        out(
            f"Fisher's exact test, Bonferroni-corrected over {analysis.tests} comparisons: "
            f"significant below p={analysis.alpha:.3g}"
        )

    def _write_report(self, options, engine, data, pairs, threshold, hashes, analysis):
        [at_threshold] = rate_counts(pairs, [threshold])
        report = accuracy_report.ReportData(
            engine=engine.name,
            engine_label=engine.label,
            model_sha256=hashes,
            data_sets=[str(path) for path in options["faces"]],
            generated_at=timezone.localtime().strftime("%d %b %Y %H:%M"),
            threshold=threshold,
            identities=len(data.identities),
            images=data.images,
            not_detected=len(data.not_detected),
            overall_fmr=proportion(at_threshold["false_matches"], pairs.impostor.size),
            overall_fnmr=proportion(at_threshold["false_non_matches"], pairs.genuine.size),
            overall=accuracy_report.Curve("all", pairs.genuine, pairs.impostor),
        )
        if analysis is not None:
            report.rows = analysis.rows
            report.curves = analysis.curves
            report.tests = analysis.tests
            report.bonferroni_alpha = analysis.alpha
            report.unmatched = analysis.unmatched
        options["report"].write_text(accuracy_report.render(report), encoding="utf-8")

    def _record(self, options, engine, data, pairs, hashes, analysis, ran_by):
        from lfr_portal.services.accuracy import calibration_record_create

        thresholds = sorted(
            {round(float(t), 3) for t in RECORD_SWEEP}
            | {round(float(t), 3) for t in (engine.default_threshold, engine.floor)}
        )
        return calibration_record_create(
            actor=ran_by,
            engine=engine.name,
            description=options["record"],
            measured_at=timezone.now(),
            model_sha256=hashes,
            identities=len(data.identities),
            images=data.images,
            images_without_face=len(data.not_detected),
            genuine_pairs=int(pairs.genuine.size),
            impostor_pairs=int(pairs.impostor.size),
            rates=rate_counts(pairs, thresholds),
            group_rates=[row.as_dict() for row in analysis.rows] if analysis else [],
            ran_by_name="" if ran_by else getpass.getuser(),
        )
