"""Domain errors raised by services; one handler maps each to an HTTP answer or a form error."""


class GovernanceError(Exception):
    """Base for every refusal a service can give. The message names the rule."""

    status_code = 400
    default_code = "rule"

    def __init__(self, message, *, field=None, code=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.default_code

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


class InvalidTransition(GovernanceError):
    """The object's state does not allow this action now."""

    status_code = 409
    default_code = "invalid_state"
