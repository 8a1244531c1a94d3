"""Dagster assets of Krakked: each body asks a resource for a service and calls it."""
