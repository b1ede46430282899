"""The simulated Canon Remote UI: classic (iR-ADV) and portal (MF) flavours, address books.

``start_remote_ui(devices, control)`` starts every device's HTTP/HTTPS listeners and adds the
``/devices/<address>/remote_ui`` control routes; the object it returns has ``close()`` and
``ca_cert`` (the CA file for HTTPS verification). See docs/simulator-remote-ui.md.
"""

from .server import RemoteUi, start_remote_ui

__all__ = ["RemoteUi", "start_remote_ui"]
