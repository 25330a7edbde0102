"""Measure an engine's false match and false non-match rates on labelled photographs.

    python manage.py evaluate_matcher [--faces matcher/sample_faces/att_faces] \
        [--faces OTHER_DIR ...] [--engine opencv-sface] [--threshold 0.4] [--plot det.png]
        [--groups groups.csv] [--report report.html] [--record "data set description"]
        [--target-fmr 0.0001 [--cross-check]] [--references 3]

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

--target-fmr F chooses the threshold: the lowest on a 0.001 grid whose one-sided 95%
Clopper-Pearson upper bound on FMR, over every impostor pair of all the sets pooled, is at
most F. --cross-check then leaves each set out in turn, chooses on the others and counts
errors on the held-out set alone. --references K adds per-search figures: each identity
enrolled with K photographs, a probe scored by its best match among an identity's K.

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

import argparse
import getpass
from pathlib import Path
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lfr_portal.models import CalibrationRecord
from lfr_portal.services.accuracy import calibration_record_create
from lfr_portal.stats import proportion
from matcher import accuracy_report
from matcher.engines import ENGINE_NAMES, Engine, EngineError, create_engine
from matcher.evaluation import EvaluationError
from matcher.evaluation.groups import GroupAnalysis, analyse_groups, group_lines, read_groups
from matcher.evaluation.held_out import (
    HeldOutResult,
    SearchScores,
    calibration_method,
    cross_check,
    cross_check_lines,
    search_scores,
    search_summary,
)
from matcher.evaluation.labelled import (
    DEFAULT_PAD,
    LabelledEmbeddings,
    embed_labelled_faces,
    identity_folders,
    model_file_hashes,
)
from matcher.evaluation.rates import (
    RECORD_SWEEP,
    SWEEP,
    Calibration,
    PairScores,
    calibrate_threshold,
    equal_error,
    error_rates,
    pair_scores,
    rate_counts,
    write_det_plot,
)
from matcher.face_sets import all_sets


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
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
    parser.add_argument(
        "--pad",
        type=float,
        default=DEFAULT_PAD,
        help="border (fraction of image size) added when no face is found at first",
    )
    parser.add_argument("--per-identity", type=int, help="use at most N images per identity")
    parser.add_argument("--identities", type=int, help="use at most N identities")
    parser.add_argument(
        "--fusion-weight",
        type=float,
        help="sface-dlib only: SFace's share of the fused score (default: the engine's)",
    )


def add_calibration_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target-fmr",
        type=float,
        metavar="F",
        help="choose the lowest threshold whose one-sided 95%% Clopper-Pearson upper bound "
        "on the false match rate, over every impostor pair of all sets pooled (pairs "
        "across sets included), is at most F (e.g. 0.0001)",
    )
    parser.add_argument(
        "--cross-check",
        action="store_true",
        help="with --target-fmr: leave each set out in turn, calibrate on the others and "
        "report the held-out set's error rates at the threshold chosen",
    )
    parser.add_argument(
        "--references",
        type=int,
        metavar="K",
        help="also report per-search figures: each identity enrolled with its first K "
        "photographs, every other photograph searched against every enrolled identity, "
        "taking the best score over each identity's K references",
    )


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plot", type=Path, help="write a DET curve to this PNG file")
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


def check_options(options: dict[str, Any]) -> None:
    """Refuse combinations of options that cannot give a meaningful run, before any work."""
    if options["record"] is not None and not options["record"].strip():
        raise CommandError("--record needs a description of the data set.")
    if options["cross_check"] and options["target_fmr"] is None:
        raise CommandError("--cross-check needs --target-fmr: the rule it checks.")
    if options["target_fmr"] is not None and not 0 < options["target_fmr"] < 1:
        raise CommandError("--target-fmr is a rate between 0 and 1, e.g. 0.0001.")
    if options["references"] is not None and options["references"] < 1:
        raise CommandError("--references needs at least 1.")
    if options["fusion_weight"] is not None and options["engine"] != "sface-dlib":
        raise CommandError("--fusion-weight applies to the sface-dlib engine only.")


def build_engine(options: dict[str, Any]) -> Engine:
    engine_options = {}
    if options["fusion_weight"] is not None:
        engine_options["sface_weight"] = options["fusion_weight"]
    try:
        return create_engine(options["engine"], **engine_options)
    except EngineError as error:
        raise CommandError(str(error)) from error


def ran_by_user(username: str | None) -> AbstractBaseUser | None:
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"--ran-by: no active user '{username}'.")
    return user


class Command(BaseCommand):
    help = "Print an engine's false match and false non-match rates on labelled face folders."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_data_arguments(parser)
        add_calibration_arguments(parser)
        add_output_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._evaluate(options)
        except EvaluationError as error:
            raise CommandError(str(error)) from error

    def _evaluate(self, options: dict[str, Any]) -> None:
        if not options["faces"]:
            options["faces"] = [face_set.path for face_set in all_sets()]
        identity_folders(options["faces"])  # a wrong path fails before the models load
        ran_by = ran_by_user(options["ran_by"]) if options["record"] is not None else None
        check_options(options)
        engine = build_engine(options)
        data = embed_labelled_faces(
            engine,
            options["faces"],
            pad=options["pad"],
            per_identity=options["per_identity"],
            identities=options["identities"],
        )
        pairs = pair_scores(data.embeddings, data.labels, data.reference_vectors)
        calibration = None
        if options["target_fmr"] is not None and pairs.impostor.size:
            calibration = calibrate_threshold(pairs.impostor, options["target_fmr"])
        threshold = (
            options["threshold"]
            if options["threshold"] is not None
            else calibration.threshold
            if calibration is not None
            else engine.default_threshold
        )
        self._print_data(options, engine, data, pairs)
        marks = self._print_rates(engine, pairs, threshold, calibration)
        search = held_out = None
        if options["references"]:
            search = search_scores(data, options["references"])
            self._print_search(search, threshold)
        if options["cross_check"]:
            held_out = cross_check(data, options["target_fmr"], references=options["references"])
            self._print_cross_check(held_out)
        self._write_plot(options, engine, pairs, marks)
        analysis = self._groups(options, data, threshold)
        hashes = model_file_hashes(engine)
        if options["report"]:
            self._write_report(options, engine, data, pairs, threshold, hashes, analysis, held_out)
            self.stdout.write(f"Report written to {options['report']}")
        if options["record"] is not None:
            method = calibration_method(
                engine, options["faces"], threshold, calibration, held_out, search
            )
            record = self._record(
                options, engine, data, pairs, hashes, analysis, ran_by, threshold, method
            )
            self.stdout.write(
                f"Calibration recorded: {record.public_id} ({record.engine}, "
                f"{len(record.rates)} thresholds)"
            )

    def _print_data(
        self,
        options: dict[str, Any],
        engine: Engine,
        data: LabelledEmbeddings,
        pairs: PairScores,
    ) -> None:
        out = self.stdout.write
        sets = ", ".join(str(path) for path in options["faces"])
        out(f"Engine {engine.embedding_name} ({engine.label}), faces from {sets}")
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
                + (
                    f" (probe), reference {1000 * data.reference_seconds / embedded:.1f} ms"
                    if data.references_differ
                    else ""
                )
            )
        out(f"Pairs: genuine {pairs.genuine.size}, impostor {pairs.impostor.size}")
        if not pairs.genuine.size or not pairs.impostor.size:
            raise CommandError(
                "Need at least two images of one identity and two identities to measure rates."
            )

    def _print_rates(
        self,
        engine: Engine,
        pairs: PairScores,
        threshold: float,
        calibration: Calibration | None,
    ) -> dict[str, float]:
        """Rates at the threshold, the engine's operating points and a sweep; returns the
        marked thresholds, for the DET plot."""
        out = self.stdout.write
        if calibration is not None:
            out(
                f"Calibrated for target FMR {calibration.target_fmr:g} on all sets pooled: "
                f"{calibration.describe()}"
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
        return marks

    def _write_plot(
        self, options: dict[str, Any], engine: Engine, pairs: PairScores, marks: dict[str, float]
    ) -> None:
        if options["plot"]:
            write_det_plot(
                pairs,
                options["plot"],
                title=f"{engine.name} on {' + '.join(p.name for p in options['faces'])}",
                marks=marks,
            )
            self.stdout.write(f"DET plot written to {options['plot']}")

    def _groups(
        self, options: dict[str, Any], data: LabelledEmbeddings, threshold: float
    ) -> GroupAnalysis | None:
        if not options["groups"]:
            return None
        groups, unknown = read_groups(options["groups"], data.identities)
        for name in unknown:
            self.stdout.write(f"  groups file names {name}, which was not measured")
        analysis = analyse_groups(data, groups, threshold)
        self._print_groups(analysis, threshold)
        return analysis

    def _print_search(self, search: SearchScores, threshold: float) -> None:
        self.stdout.write(search_summary(search, threshold))

    def _print_cross_check(self, results: list[HeldOutResult]) -> None:
        for line in cross_check_lines(results):
            self.stdout.write(line)

    def _print_groups(self, analysis: GroupAnalysis, threshold: float) -> None:
        for line in group_lines(analysis, threshold):
            self.stdout.write(line)

    def _write_report(
        self,
        options: dict[str, Any],
        engine: Engine,
        data: LabelledEmbeddings,
        pairs: PairScores,
        threshold: float,
        hashes: dict[str, str],
        analysis: GroupAnalysis | None,
        held_out: list[HeldOutResult] | None,
    ) -> None:
        [at_threshold] = rate_counts(pairs, [threshold])
        report = accuracy_report.ReportData(
            engine=engine.embedding_name,
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
        if held_out:
            report.target_fmr = options["target_fmr"]
            report.held_out = [
                accuracy_report.HeldOutRow(
                    held_out=r.held_out,
                    calibrated_on=r.calibrated_on,
                    threshold=r.calibration.threshold,
                    target_reached=r.calibration.reached,
                    fmr=r.fmr,
                    fnmr=r.fnmr,
                )
                for r in held_out
            ]
        options["report"].write_text(accuracy_report.render(report), encoding="utf-8")

    def _record(
        self,
        options: dict[str, Any],
        engine: Engine,
        data: LabelledEmbeddings,
        pairs: PairScores,
        hashes: dict[str, str],
        analysis: GroupAnalysis | None,
        ran_by: AbstractBaseUser | None,
        threshold: float,
        method: str,
    ) -> CalibrationRecord:
        thresholds = sorted(
            {round(float(t), 3) for t in RECORD_SWEEP}
            | {round(float(t), 3) for t in (engine.default_threshold, engine.floor, threshold)}
        )
        return calibration_record_create(
            actor=ran_by,
            engine=engine.name,
            description=f"{options['record'].strip()}\n{method}",
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
