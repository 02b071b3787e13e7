"""A fleet of kiosks on one PostgreSQL: each plays from a local copy and queues its log rows;
its roles, rights and password (roles, credentials)."""
