"""Choose: the content database, import and export, the idle playlist, targeting rules read from
descriptions, and the selector that picks an item for an audience."""
