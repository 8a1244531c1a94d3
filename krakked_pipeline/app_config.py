"""The code location's ``AppConfig``, loaded once at load time.

Partitions and schedules are built from it at import; a config error fails the code location
with the reason.
"""

from krakked_core.config_loading import load_config

CONFIG = load_config()
