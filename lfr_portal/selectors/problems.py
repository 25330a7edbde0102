"""One unmet rule, as the readiness rules and the legality case both report it."""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Problem:
    """One unmet rule: a stable code for screens and clients, and the sentence naming it.

    Screens match on the code, never on the words, so rewording a rule cannot
    silently detach it from its line in a checklist. A blocker refuses; an advisory asks
    for a reason to go ahead; a warning is shown to whoever decides and refuses nothing.
    """

    code: str
    message: str
    # The form or API field the rule concerns, or "" when it concerns no single field.
    field: str = ""
    severity: Literal["blocker", "advisory", "warning"] = "blocker"

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "field": self.field, "message": self.message}
