"""The one MetaData every table module registers on, with stable constraint names."""

from decimal import Decimal

from sqlalchemy import MetaData, Numeric, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.types import String

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DecimalText(TypeDecorator[object]):
    """Exact decimals on every backend: stored as text, read back as ``Decimal``.

    SQLite has no exact numeric type (Numeric goes through float), so money columns use this.
    """

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: object, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money columns take Decimal, got {type(value).__name__}")
        return format(value, "f")

    def process_result_value(self, value: object, dialect: Dialect) -> object:
        if value is None:
            return None
        return Decimal(str(value))


__all__ = ["NAMING_CONVENTION", "DecimalText", "Numeric", "metadata"]
