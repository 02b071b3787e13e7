"""A fleet of kiosks on one PostgreSQL database: roles and rights, the password, the sync."""
