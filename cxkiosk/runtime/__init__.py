"""Runtime glue: QObject workers on QThreads and the signals between them (QtCore only)."""
