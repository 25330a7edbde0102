"""Measuring a recognition engine on labelled photographs: the maths behind
`manage.py evaluate_matcher`.

labelled   reading the identity folders and embedding each photograph once
rates      genuine and impostor pairs, FMR/FNMR, the equal error rate, confidence bounds
           and the threshold chosen for a target false match rate
held_out   per-search (best of K references) figures and the leave-one-set-out check
groups     rates per demographic group, compared with Fisher's exact test

No Django here: the command parses arguments and prints, and records a run through
lfr_portal.services.accuracy.
"""


class EvaluationError(ValueError):
    """The photographs or options cannot give a measurement; the message says why."""
