"""The table of contents of the Dagster code location: every asset, check, job, schedule, sensor."""

import dagster as dg

defs = dg.Definitions()
