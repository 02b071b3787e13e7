"""Push: the link a visitor's phone gets (campaign tags, checks) by QR code and NFC."""
