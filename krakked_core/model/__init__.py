"""Value types with no I/O: pairs, money and precision, orders, events."""
