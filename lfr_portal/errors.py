"""Domain errors raised by services; one handler maps each to an HTTP answer or a form error."""


class GovernanceError(Exception):
    """Base for every refusal a service can give. The message names the rule."""

    status_code = 400
    default_code = "rule"
    # What the person can do about it; pages show it after the message.
    default_next_step = "Correct what it names and try again."

    def __init__(self, message, *, field=None, code=None, next_step=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.default_code
        self.next_step = next_step or self.default_next_step

    @property
    def message_with_next_step(self):
        return f"{self.message} {self.next_step}"

    def as_dict(self):
        body = {"detail": self.message, "rule": self.code}
        if self.field:
            body["field"] = self.field
        return body


class RuleViolation(GovernanceError):
    """The request breaks a governance rule or carries bad input."""


class NotPermitted(GovernanceError):
    """The user may see the object but their role may not do this to it."""

    status_code = 403
    default_code = "not_permitted"
    default_next_step = "Ask an officer who holds the role for this to do it."


class InvalidTransition(GovernanceError):
    """The object's state does not allow this action now."""

    status_code = 409
    default_code = "invalid_state"
    default_next_step = "Reload the page to see where it stands now."
