"""What every request model shares: the domain's own checks run first, inside pydantic.

A model's `rules` is the domain check of that body (server/core/domain), called by a wrap
validator before pydantic looks at the fields (a `Cleaned` model is built from what the rules
answer). Its `ValidationError` is not a `ValueError`, so
pydantic lets it through unchanged: the client gets the rule's own status, code and message, as
before the models existed. What the rules accept and pydantic's field types still refuse (they
are written to accept no less) is translated once, by `parse`, to a 400 with `refusal` as code.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    model_validator,
)
from pydantic import ValidationError as PydanticError

from server.core.domain.error_codes import ErrorCode, GeneralCode
from server.core.domain.errors import ValidationError
from server.core.domain.ids import MAX_ID

T = TypeVar("T")
# An id in a body, a path or a query: what check_id accepts.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Body(BaseModel):
    """A request body or event payload. Unknown fields are ignored unless a model forbids them
    (its rules then refuse them with their own message)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    refusal: ClassVar[ErrorCode] = GeneralCode.INVALID  # when pydantic, not the rules, refuses
    _checked: object = PrivateAttr(None)  # what the rules answered: the domain's own value

    @classmethod
    def rules(cls, data: object) -> object:
        """The domain's check of the whole payload (raises its ValidationError); a JSON object
        by default."""
        return require_object(data)

    @model_validator(mode="wrap")
    @classmethod
    def _rules_first(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        checked = cls.rules(data)
        model = handler(data)
        model._checked = checked
        return model

    def checked(self, kind: type[T]) -> T:
        """What the rules made of the body (the domain's value), as `kind`."""
        if not isinstance(self._checked, kind):
            raise TypeError(f"{type(self).__name__}'s rules answer no {kind.__name__}")
        return self._checked

    @classmethod
    def parse(cls, data: object) -> Self:
        try:
            return cls.model_validate(data)
        except PydanticError as exc:
            raise ValidationError(describe(exc), code=cls.refusal) from None


class Cleaned(Body):
    """A body whose rules answer its fields cleaned: the model is built from what the domain's
    checks made of the payload (a dict of typed values), so its fields are the values the
    service takes, and every refusal is the rule's own (status, code, message)."""

    @model_validator(mode="wrap")
    @classmethod
    def _rules_first(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        return handler(cls.rules(data))


def require_object(
    data: object, message: str = "expected a JSON object", code: ErrorCode | None = None
) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError(message, code=code)
    return data


def describe(exc: PydanticError) -> str:
    """pydantic's first complaint as `field: what is wrong`."""
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])
