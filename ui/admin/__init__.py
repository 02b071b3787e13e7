"""The hidden admin panel: a PIN gate (panel.py), one module per tab, shared widgets, and the glue
to the live kiosk (opener.py)."""
