"""cgw: bring customer gateways onto AWS Site-to-Site VPN, end to end."""

__version__ = "0.1.0"
